package io.isthmus.runtime.kernel;

import java.util.Arrays;

/** Measures the fixed cost of one {@link ComputePool} region: hand-off plus join of an empty task. */
public final class PoolBenchmark {

    private PoolBenchmark() {
    }

    /** Median nanoseconds per empty region over {@code regions} regions (after a warm-up of as many). */
    public static long medianRegionNanos(ComputePool pool, int regions) {
        ComputePool.RangeTask empty = (from, to, worker) -> { };
        int n = pool.size() * 16;
        for (int i = 0; i < regions; i++) {
            pool.parallelFor(n, empty);
        }
        long[] t = new long[regions];
        for (int i = 0; i < regions; i++) {
            long start = System.nanoTime();
            pool.parallelFor(n, empty);
            t[i] = System.nanoTime() - start;
        }
        Arrays.sort(t);
        return t[regions / 2];
    }
}
