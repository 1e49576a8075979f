package io.isthmus.collectives.shm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Waits until every peer has published a step: spins with {@link Thread#onSpinWait()} first (the
 * latency path), then yields (so oversubscribed ranks, more ranks than cores, still progress), and
 * gives up after the timeout with the ranks that never arrived. A peer whose process has exited is
 * reported within {@link #LIVENESS_PERIOD_NANOS} instead: so the timeout only has to cover a live rank
 * that is slow (a loaded machine, a long step), not the detection of a dead one. When the world is
 * larger than the processors this process may use (tests and benchmarks on a small machine), it
 * yields almost at once.
 */
final class Arrivals {
    /** About a millisecond of PAUSEs: ranks bound to cores of their own rarely wait longer. */
    private static final int SPINS_BEFORE_YIELD = 20_000;
    /** More ranks than this process may run on: a spinning rank would hold the core its peer needs. */
    private static final int OVERSUBSCRIBED_SPINS_BEFORE_YIELD = 64;
    private static final int SPINS_PER_CLOCK_READ = 256;
    /** How often a wait asks whether the awaited peer's process still runs. */
    static final long LIVENESS_PERIOD_NANOS = 50_000_000L;

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
        long livenessChecked = 0;
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
                        livenessChecked = now;
                    } else if (now - start > timeoutNanos) {
                        throw new PeerTimeoutException(rank, behind(step),
                                "reach " + operation + " (step " + step + ")", timeout);
                    } else if (now - livenessChecked > LIVENESS_PERIOD_NANOS) {
                        livenessChecked = now;
                        checkAlive(peer, segment, step, operation);
                    }
                }
            }
        }
    }

    /** Throws when {@code peer}'s process is gone (re-reading its sequence: it may have arrived, then exited). */
    private void checkAlive(int peer, Segment segment, long step, String operation) {
        long pid = segment.ownerPid();
        boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        if (!alive && segment.sequence() < step) {
            throw new PeerExitedException(rank, peer, pid, "reach " + operation + " (step " + step + ")");
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
