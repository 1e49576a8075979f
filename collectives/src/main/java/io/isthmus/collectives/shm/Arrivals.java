package io.isthmus.collectives.shm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Waits until every peer has published a step: spins with {@link Thread#onSpinWait()} first (the
 * latency path), then yields (so oversubscribed ranks, more ranks than cores, still progress), and
 * gives up after the timeout with the ranks that never arrived. When the world is larger than the
 * processors this process may use (tests and benchmarks on a small machine), it yields almost at once.
 */
final class Arrivals {
    /** About a millisecond of PAUSEs: ranks bound to cores of their own rarely wait longer. */
    private static final int SPINS_BEFORE_YIELD = 20_000;
    /** More ranks than this process may run on: a spinning rank would hold the core its peer needs. */
    private static final int OVERSUBSCRIBED_SPINS_BEFORE_YIELD = 64;
    private static final int SPINS_PER_CLOCK_READ = 256;

    private final Segment[] segments;
    private final int rank;
    private final Duration timeout;
    private final long timeoutNanos;
    private final int spinsBeforeYield;

    Arrivals(Segment[] segments, int rank, Duration timeout) {
        this.segments = segments;
        this.rank = rank;
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
        this.spinsBeforeYield = Runtime.getRuntime().availableProcessors() >= segments.length
                ? SPINS_BEFORE_YIELD : OVERSUBSCRIBED_SPINS_BEFORE_YIELD;
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
                if (spins < spinsBeforeYield) {
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
