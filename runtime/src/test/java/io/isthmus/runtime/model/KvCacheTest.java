package io.isthmus.runtime.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The indirect-access layout: shared prompt entries, one entry per beam per step, lineages from the history table. */
class KvCacheTest {

    @Test
    void lineagesFollowTheBeamHistory() {
        // prompt of 3 positions, 3 beams, up to 7 positions: entries 0..2 shared, then 3 per step
        KvCache c = KvCache.create(KvCacheType.F32, 1, KvShape.beams(3, 3, 7), 2);
        assertEquals(3 + 3 * 4, c.shape().entries());
        c.advanceBeams(3, new int[] {9, 9, 9}, 0); // first step: parents ignored, all continue the prompt
        for (int b = 0; b < 3; b++) {
            assertEquals(1, c.entryOf(b, 1), "prompt positions are shared");
            assertEquals(3 + b, c.entryOf(b, 3), "each beam's own entry");
        }
        c.advanceBeams(4, new int[] {2, 2, 0}, 0); // beams 0 and 1 continue old beam 2, beam 2 continues old 0
        assertEquals(5, c.entryOf(0, 3));
        assertEquals(5, c.entryOf(1, 3));
        assertEquals(3, c.entryOf(2, 3));
        assertEquals(6, c.entryOf(0, 4));
        assertEquals(7, c.entryOf(1, 4));
        assertEquals(8, c.entryOf(2, 4));
        c.advanceBeams(5, new int[] {1, 2, 2}, 0);
        assertArrayEquals(new int[] {0, 1, 2, 5, 7, 9}, lineage(c, 0, 5), "old beam 1: its parent was old beam 2");
        assertArrayEquals(new int[] {0, 1, 2, 3, 8, 10}, lineage(c, 1, 5));
        assertArrayEquals(new int[] {0, 1, 2, 3, 8, 11}, lineage(c, 2, 5));
        KvCache copy = c.copy();
        assertArrayEquals(lineage(c, 1, 5), lineage(copy, 1, 5));
        assertThrows(IllegalArgumentException.class, () -> c.advanceBeams(7, new int[3], 0), "skipped a position");
        assertThrows(IllegalArgumentException.class, () -> c.advanceBeams(6, new int[] {0, 3, 0}, 0), "parent out of range");
    }

    @Test
    void storedEntriesAreReadBack() {
        KvCache c = KvCache.create(KvCacheType.BF16, 2, KvShape.beams(1, 2, 3), 4);
        c.store(1, 2, new float[] {1, 2, 3, 4}, 0, new float[] {5, 6, 7, 8}, 0);
        assertEquals(1 * 1 + 2 * 2 + 3 * 3 + 4 * 4, c.dotKey(1, 2, 0, new float[] {1, 2, 3, 4}, 0, 4));
        float[] out = new float[2];
        c.addScaledValue(1, 2, 2, 2f, out, 0, 2);
        assertArrayEquals(new float[] {14, 16}, out);
        assertThrows(IndexOutOfBoundsException.class, () -> c.store(0, 5, new float[4], 0, new float[4], 0));
    }

    /**
     * The run methods attention uses (scores of a group of query heads against consecutive entries,
     * the weighted sums of their values) equal plain sums over the stored vectors: both element
     * types, one to three query heads (pairs and a single one), head sizes that are not a multiple of
     * the vector length, and runs that end inside a block.
     */
    @Test
    void runsOfEntriesMatchPlainSums() {
        java.util.Random rnd = new java.util.Random(7);
        for (KvCacheType type : KvCacheType.values()) {
            for (int hd : new int[] {4, 20, 64, 72}) {
                int kvDim = 3 * hd, entries = 150, layers = 2;
                KvCache c = KvCache.create(type, layers, entries, kvDim);
                float[][][] k = new float[layers][entries][kvDim], v = new float[layers][entries][kvDim];
                for (int l = 0; l < layers; l++) {
                    for (int e = 0; e < entries; e++) {
                        for (int d = 0; d < kvDim; d++) { // bf16-exact values, so both types compare alike
                            k[l][e][d] = (float) rnd.nextInt(-64, 64) / 16;
                            v[l][e][d] = (float) rnd.nextInt(-64, 64) / 16;
                        }
                        c.store(l, e, k[l][e], 0, v[l][e], 0);
                    }
                }
                for (int rows = 1; rows <= 3; rows++) {
                    int headOff = hd, from = 3, to = 140, stride = 160; // the middle head; 137 entries
                    float[] q = new float[5 + rows * hd];
                    float[] w = new float[rows * stride];
                    for (int i = 0; i < q.length; i++) {
                        q[i] = (float) rnd.nextGaussian();
                    }
                    for (int i = 0; i < w.length; i++) {
                        w[i] = (float) rnd.nextDouble();
                    }
                    float[] scores = new float[rows * stride];
                    java.util.Arrays.fill(scores, 99f);
                    int[] queryAt = new int[rows];
                    for (int r = 0; r < rows; r++) {
                        queryAt[r] = 5 + r * hd;
                    }
                    c.scoreKeys(1, headOff, hd, q, queryAt, rows, from, to, 0.5f, scores, stride);
                    float[] out = new float[3 + rows * hd + 2];
                    java.util.Arrays.fill(out, 1f);
                    int[] outAt = new int[rows];
                    for (int r = 0; r < rows; r++) {
                        outAt[r] = 3 + r * hd;
                    }
                    c.addWeightedValues(1, headOff, hd, w, stride, outAt, rows, from, to, out);
                    for (int r = 0; r < rows; r++) {
                        String at = type + " hd " + hd + " head " + r + " of " + rows;
                        for (int e = from; e < to; e++) {
                            double ref = 0;
                            for (int d = 0; d < hd; d++) {
                                ref += (double) q[5 + r * hd + d] * k[1][e][headOff + d];
                            }
                            assertEquals(0.5 * ref, scores[r * stride + e - from], 1e-4, at + " entry " + e);
                            assertEquals(ref, c.dotKey(1, e, headOff, q, 5 + r * hd, hd), 1e-4, at + " entry " + e);
                        }
                        assertEquals(99f, scores[r * stride + to - from], at + ": nothing written after the run");
                        for (int d = 0; d < hd; d++) {
                            double ref = 1;
                            for (int e = from; e < to; e++) {
                                ref += (double) w[r * stride + e - from] * v[1][e][headOff + d];
                            }
                            assertEquals(ref, out[3 + r * hd + d], 1e-3, at + " dim " + d);
                        }
                    }
                    assertArrayEquals(new float[] {1, 1, 1}, java.util.Arrays.copyOf(out, 3), "nothing written before the heads");
                    assertArrayEquals(new float[] {1, 1}, java.util.Arrays.copyOfRange(out, out.length - 2, out.length),
                            "nothing written after the heads");
                }
            }
        }
    }

    private static int[] lineage(KvCache c, int beam, int last) {
        int[] e = new int[last + 1];
        for (int p = 0; p <= last; p++) {
            e[p] = c.entryOf(beam, p);
        }
        return e;
    }
}
