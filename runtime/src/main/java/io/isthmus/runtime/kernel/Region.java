package io.isthmus.runtime.kernel;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One parallel region of a {@link ComputePool}: a task over {@code [0, n)} in grains of
 * {@code grain}, cut into one share per worker and each share into chunks. A worker claims the
 * chunks of its own share front to back from a counter on its own cache line, then those of the
 * others' shares that nobody has claimed yet. The region is done when every grain has been run;
 * which workers took part does not matter, so a worker that sees the region late (or never) holds
 * nobody up, and finds every counter used up.
 *
 * <p>Immutable but for the counters, and a new object per region: a worker still looking at an old
 * region can never claim a later region's work with the old task.
 */
final class Region {

    /** What the pool's workers see before the first region. */
    static final Region NONE = empty();

    /** Longs between two counters: one 64-byte line each. */
    private static final int COUNTER_STRIDE = 8;

    private final ComputePool.RangeTask task;
    private final int n;
    private final int grain;
    private final int workers;
    /** Grains per claim. */
    private final int chunk;
    /**
     * Counter {@code w} (at {@code w * COUNTER_STRIDE}) is the next grain of worker w's share to
     * claim; the last one ({@code workers * COUNTER_STRIDE}) counts the grains not yet run.
     */
    private final AtomicLongArray counters;
    /** Per worker, the end (in grains) of its share. */
    private final int[] shareEnds;
    /** The first exception a task threw; later chunks are then claimed but not run. */
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    /**
     * The pool's count of quiesce requests as the region was published: a worker compares it with the
     * count after the region, since the caller may be done with a small region and have asked for quiet
     * before the worker even looked at it.
     */
    final long quiesceMark;

    Region(ComputePool.RangeTask task, int n, int grain, int workers, int chunksPerShare, long quiesceMark) {
        this.task = task;
        this.quiesceMark = quiesceMark;
        this.n = n;
        this.grain = grain;
        this.workers = workers;
        int grains = Math.ceilDiv(n, grain);
        this.counters = new AtomicLongArray((workers + 1) * COUNTER_STRIDE);
        this.shareEnds = new int[workers];
        for (int w = 0; w < workers; w++) {
            counters.setPlain(w * COUNTER_STRIDE, (long) grains * w / workers);
            shareEnds[w] = (int) ((long) grains * (w + 1) / workers);
        }
        // a static region (one chunk per share) claims its whole share at once
        this.chunk = Math.max(1, chunksPerShare == 1 ? grains : grains / (workers * chunksPerShare));
        // plain writes: the pool publishes the whole region through its volatile field
        counters.setPlain(workers * COUNTER_STRIDE, grains);
    }

    /** A new region with nothing to run: the one workers start from, and what wakes them when the pool closes. */
    static Region empty() {
        return new Region((from, to, worker) -> { }, 0, 1, 0, 1, 0);
    }

    /** Worker w's part: chunks of its own share, then of the others' that are still unclaimed. */
    void run(int w) {
        for (int i = 0; i < workers; i++) {
            int owner = (w + i) % workers;
            int end = shareEnds[owner];
            while (true) {
                long g = counters.getAndAdd(owner * COUNTER_STRIDE, chunk);
                if (g >= end) {
                    break;
                }
                int last = (int) Math.min(g + chunk, end);
                try {
                    if (failure.get() == null) {
                        task.run((int) g * grain, Math.min(n, last * grain), w);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    counters.getAndAdd(workers * COUNTER_STRIDE, -(last - g));
                }
            }
        }
    }

    /** Whether every grain has been run (or skipped after a failure). */
    boolean done() {
        return counters.get(workers * COUNTER_STRIDE) == 0;
    }
}
