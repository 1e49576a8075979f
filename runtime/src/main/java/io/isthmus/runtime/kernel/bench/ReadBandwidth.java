package io.isthmus.runtime.kernel.bench;

import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.VectorSettings;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The machine's read bandwidth as the compute threads see it: all pool threads summing a 1 GiB
 * off-heap buffer (far beyond any cache), best of 5 timed passes after one warm-up. This is the
 * bound decode speed is judged against.
 */
public final class ReadBandwidth implements AutoCloseable {
    private static final long BANDWIDTH_BYTES = 1L << 30;
    private static final int CHUNK = 1 << 20;

    private final ComputePool pool;
    private final Arena arena = Arena.ofShared(); // pool threads read it
    private final MemorySegment buffer;
    private final float[] sink;

    private ReadBandwidth(ComputePool pool) {
        this.pool = pool;
        this.buffer = arena.allocate(BANDWIDTH_BYTES, 4096);
        this.sink = new float[pool.size() * 16];
        buffer.fill((byte) 1);
        pass(); // warms up the JIT
    }

    /** Allocates and touches the 1 GiB buffer once, for repeated measurements with {@code pool}. */
    public static ReadBandwidth on(ComputePool pool) {
        return new ReadBandwidth(pool);
    }

    /** Bytes per second read by a new pool of {@code threads} threads (0: one per CPU), best of 5 passes. */
    public static double measure(int threads) {
        try (ComputePool pool = threads > 0 ? new ComputePool(threads) : new ComputePool()) {
            return measure(pool);
        }
    }

    /** Bytes per second of all pool threads reading a 1 GiB off-heap buffer, best of 5 passes. */
    public static double measure(ComputePool pool) {
        try (ReadBandwidth rb = on(pool)) {
            return rb.best(5);
        }
    }

    /** The best rate of {@code passes} passes over the buffer, in bytes per second. */
    public double best(int passes) {
        double best = 0;
        for (int p = 0; p < passes; p++) {
            best = Math.max(best, pass());
        }
        return best;
    }

    private double pass() {
        int chunks = (int) (BANDWIDTH_BYTES / CHUNK);
        // chunks are claimed one by one, not split in fixed halves: on a shared host one CPU is
        // often slower, and a fixed split would measure the slower one, understating the bound
        AtomicInteger next = new AtomicInteger();
        long start = System.nanoTime();
        pool.parallelFor(pool.size(), (from, to, worker) -> {
            float s = 0;
            for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
                s += sum(buffer, (long) c * CHUNK, CHUNK);
            }
            sink[worker * 16] += s;
        });
        return BANDWIDTH_BYTES / ((System.nanoTime() - start) / 1e9);
    }

    @Override
    public void close() {
        arena.close();
    }

    private static float sum(MemorySegment seg, long off, int bytes) {
        var species = VectorSettings.F;
        int step = species.vectorByteSize();
        FloatVector a0 = FloatVector.zero(species), a1 = a0, a2 = a0, a3 = a0;
        for (long o = off, end = off + bytes; o < end; o += 4L * step) {
            a0 = a0.add(FloatVector.fromMemorySegment(species, seg, o, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(species, seg, o + step, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(species, seg, o + 2L * step, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(species, seg, o + 3L * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    }
}
