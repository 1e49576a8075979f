package io.isthmus.collectives.shm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Waits until every peer has published a step: spins with {@link Thread#onSpinWait()} first (the
 * latency path), then yields (so oversubscribed ranks, more ranks than cores, still progress), and
 * gives up after the timeout with the ranks that never arrived.
 */
final class Arrivals {
    private static final int SPINS_BEFORE_YIELD = 20_000;
    private static final int SPINS_PER_CLOCK_READ = 256;

    private final Segment[] segments;
    private final int rank;
    private final Duration timeout;
    private final long timeoutNanos;

    Arrivals(Segment[] segments, int rank, Duration timeout) {
        this.segments = segments;
        this.rank = rank;
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
    }

    /**
     * Returns once every rank's sequence is at least {@code step}. A peer is at most one step ahead
     * (it publishes step+1 only after seeing this rank's step), so "at least" is exact.
     */
    void awaitAll(long step, String operation) {
        long start = 0;
        int spins = 0;
        for (int peer = 0; peer < segments.length; peer++) {
            if (peer == rank) {
                continue;
            }
            Segment segment = segments[peer];
            while (segment.sequence() < step) {
                spins++;
                if (spins < SPINS_BEFORE_YIELD) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
                if (spins % SPINS_PER_CLOCK_READ == 0) {
                    long now = System.nanoTime();
                    if (start == 0) {
                        start = now;
                    } else if (now - start > timeoutNanos) {
                        throw new PeerTimeoutException(rank, behind(step),
                                "reach " + operation + " (step " + step + ")", timeout);
                    }
                }
            }
        }
    }

    private List<Integer> behind(long step) {
        List<Integer> missing = new ArrayList<>();
        for (int peer = 0; peer < segments.length; peer++) {
            if (peer != rank && segments[peer].sequence() < step) {
                missing.add(peer);
            }
        }
        return missing;
    }
}
