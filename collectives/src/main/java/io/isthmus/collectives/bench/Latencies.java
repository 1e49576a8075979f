package io.isthmus.collectives.bench;

import java.util.Arrays;

/** Per-call times of one measurement, in nanoseconds. */
final class Latencies {
    private final long[] nanos;
    private int count;

    Latencies(int capacity) {
        nanos = new long[capacity];
    }

    void add(long elapsedNanos) {
        nanos[count++] = elapsedNanos;
    }

    /** The q-quantile (0..1) by the nearest-rank method, in microseconds. */
    double quantileMicros(double q) {
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        int index = (int) Math.ceil(q * count) - 1;
        return sorted[Math.clamp(index, 0, count - 1)] / 1e3;
    }
}
