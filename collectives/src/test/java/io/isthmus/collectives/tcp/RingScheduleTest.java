package io.isthmus.collectives.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

class RingScheduleTest {
    /**
     * Plays the ring allreduce on sets of contributions: after reduce-scatter each rank's reduced
     * chunk holds every rank's contribution, and after all-gather every rank holds every such chunk.
     * Each step a rank must send exactly what its successor receives.
     */
    @Test
    void reduceScatterThenAllGatherGivesEveryRankEveryWholeChunk() {
        for (int n = 1; n <= 7; n++) {
            RingSchedule[] ring = new RingSchedule[n];
            BitSet[][] holds = new BitSet[n][n]; // [rank][chunk]: whose contributions it has summed
            for (int r = 0; r < n; r++) {
                ring[r] = new RingSchedule(r, n);
                for (int c = 0; c < n; c++) {
                    holds[r][c] = new BitSet();
                    holds[r][c].set(r);
                }
            }
            for (int step = 0; step < ring[0].steps(); step++) {
                BitSet[] inFlight = new BitSet[n];
                for (int r = 0; r < n; r++) {
                    inFlight[r] = (BitSet) holds[r][ring[r].sent(step, r)].clone();
                }
                for (int r = 0; r < n; r++) {
                    int from = ring[r].predecessor();
                    assertEquals(ring[from].sent(step, from), ring[r].received(step, r), "n " + n + " step " + step);
                    BitSet target = holds[r][ring[r].received(step, r)];
                    assertEquals(false, target.intersects(inFlight[from]), "a contribution counted twice");
                    target.or(inFlight[from]);
                }
            }
            for (int r = 0; r < n; r++) {
                assertEquals(n, holds[r][ring[r].reducedChunk()].cardinality(), "n " + n + " rank " + r);
            }
            boolean[][] complete = new boolean[n][n];
            for (int r = 0; r < n; r++) {
                complete[r][ring[r].reducedChunk()] = true;
            }
            for (int step = 0; step < ring[0].steps(); step++) {
                boolean[][] next = new boolean[n][];
                for (int r = 0; r < n; r++) {
                    next[r] = complete[r].clone();
                }
                for (int r = 0; r < n; r++) {
                    int from = ring[r].predecessor();
                    int chunk = ring[from].sent(step, ring[from].reducedChunk());
                    assertEquals(chunk, ring[r].received(step, ring[r].reducedChunk()));
                    assertEquals(true, complete[from][chunk], "rank " + from + " passes on a chunk it does not have");
                    next[r][chunk] = true;
                }
                complete = next;
            }
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < n; c++) {
                    assertEquals(true, complete[r][c], "n " + n + " rank " + r + " chunk " + c);
                }
            }
        }
    }

    @Test
    void chunksCoverTheMessageInOrder() {
        for (int n = 1; n <= 5; n++) {
            RingSchedule ring = new RingSchedule(0, n);
            for (int length : new int[] {0, 1, 2, 5, 1001}) {
                int covered = 0;
                for (int c = 0; c < n; c++) {
                    assertEquals(covered, ring.chunkStart(c, length));
                    covered += ring.chunkLength(c, length);
                }
                assertEquals(length, covered);
            }
        }
    }
}
