package io.isthmus.runtime.kernel.bench;

import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.Linear;
import io.isthmus.runtime.kernel.PoolBenchmark;
import io.isthmus.runtime.kernel.Quantize;
import io.isthmus.runtime.kernel.VectorSettings;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * GEMV throughput of every weight type against the machine's read bandwidth, measured in the same
 * run with the same threads. Usage: {@code KernelBenchmark [threads] [rows] [cols]} [types,...]} (defaults:
 * all CPUs, 11008 × 4096, a Llama-7B FFN matrix, all types).
 */
public final class KernelBenchmark {

    private static final GgmlType[] TYPES = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
            GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K};
    private static final long BANDWIDTH_BYTES = 1L << 30;

    private KernelBenchmark() {
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 11008;
        int cols = args.length > 2 ? Integer.parseInt(args[2]) : 4096;
        GgmlType[] types = args.length > 3
                ? Arrays.stream(args[3].split(",")).map(GgmlType::valueOf).toArray(GgmlType[]::new) : TYPES;
        run(System.out, threads, rows, cols, types);
    }

    public static void run(PrintStream out, int threads, int rows, int cols) {
        run(out, threads, rows, cols, TYPES);
    }

    /** Runs the benchmark on {@code threads} pinned threads (0: one per CPU) and prints a table. */
    public static void run(PrintStream out, int threads, int rows, int cols, GgmlType... types) {
        try (ComputePool pool = threads > 0 ? new ComputePool(threads) : new ComputePool();
             Arena arena = Arena.ofShared()) {
            out.printf("Isthmus kernel benchmark: %d threads, %s, GEMV %d x %d%n",
                    pool.size(), VectorSettings.describe(), rows, cols);
            double bw = readBandwidth(pool, arena);
            out.printf("read bandwidth (%d threads summing 1 GiB, best of 5): %.1f GB/s%n", pool.size(), bw / 1e9);
            out.printf("fork-join per region (median of 100k empty regions): %d ns%n",
                    PoolBenchmark.medianRegionNanos(pool, 100_000));
            out.printf("%-6s %12s %12s %9s %8s%n", "type", "bytes", "us/GEMV", "GB/s", "% of BW");
            Random rnd = new Random(42);
            float[] values = new float[rows * cols];
            for (int i = 0; i < values.length; i++) {
                values[i] = rnd.nextFloat() - 0.5f;
            }
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) {
                x[i] = rnd.nextFloat() - 0.5f;
            }
            float[] y = new float[rows];
            for (GgmlType type : types) {
                try (Arena weights = Arena.ofShared()) {
                    Tensor w = makeWeights(weights, type, values, rows, cols, rnd);
                    double seconds = timeGemv(pool, w, x, y);
                    double gbs = w.byteSize() / seconds / 1e9;
                    out.printf("%-6s %12d %12.1f %9.1f %7.1f%%%n", type, w.byteSize(), seconds * 1e6, gbs,
                            100 * w.byteSize() / seconds / bw);
                }
            }
        }
    }

    private static Tensor makeWeights(Arena arena, GgmlType type, float[] values, int rows, int cols, Random rnd) {
        if (Quantize.supports(type)) {
            return Quantize.quantize(arena, type.name(), type, values, 0, rows, cols);
        }
        // K-quants: random bytes with small f16 scales (only the time matters here)
        MemorySegment seg = arena.allocate(type.rowBytes(cols) * rows, 64);
        byte[] bytes = new byte[(int) Math.min(seg.byteSize(), 1 << 24)];
        rnd.nextBytes(bytes);
        for (long at = 0; at < seg.byteSize(); at += bytes.length) {
            MemorySegment.copy(bytes, 0, seg, ValueLayout.JAVA_BYTE, at, (int) Math.min(bytes.length, seg.byteSize() - at));
        }
        short scale = Float.floatToFloat16(0.001f);
        ValueLayout.OfShort le = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long b = 0; b < seg.byteSize(); b += type.blockBytes()) {
            if (type == GgmlType.Q4_K) {
                seg.set(le, b, scale);
                seg.set(le, b + 2, scale);
            } else {
                seg.set(le, b + type.blockBytes() - 2, scale);
            }
        }
        return new Tensor(type.name(), type, new long[] {cols, rows}, seg);
    }

    /** Best seconds per GEMV over repeated runs (at least 0.3 s of measuring after warm-up). */
    private static double timeGemv(ComputePool pool, Tensor w, float[] x, float[] y) {
        long warm = System.nanoTime();
        int warmRuns = 0;
        while (warmRuns < 5 || System.nanoTime() - warm < 500_000_000L) {
            Linear.matmul(pool, w, x, 1, y);
            warmRuns++;
        }
        int reps = Math.max(5, Math.min(200, warmRuns));
        long[] t = new long[reps];
        for (int i = 0; i < reps; i++) {
            long start = System.nanoTime();
            Linear.matmul(pool, w, x, 1, y);
            t[i] = System.nanoTime() - start;
        }
        Arrays.sort(t);
        return t[reps / 2] / 1e9; // median
    }

    /** Bytes per second of all pool threads reading a 1 GiB off-heap buffer, best of 5 passes. */
    static double readBandwidth(ComputePool pool, Arena arena) {
        MemorySegment buf = arena.allocate(BANDWIDTH_BYTES, 4096);
        buf.fill((byte) 1);
        float[] sink = new float[pool.size() * 16];
        int chunk = 1 << 20;
        int chunks = (int) (BANDWIDTH_BYTES / chunk);
        double best = 0;
        for (int pass = 0; pass < 6; pass++) {
            long start = System.nanoTime();
            pool.parallelFor(chunks, (from, to, worker) -> {
                float s = 0;
                for (int c = from; c < to; c++) {
                    s += sum(buf, (long) c * chunk, chunk);
                }
                sink[worker * 16] += s;
            });
            double rate = BANDWIDTH_BYTES / ((System.nanoTime() - start) / 1e9);
            if (pass > 0) { // the first pass warms up the JIT
                best = Math.max(best, rate);
            }
        }
        return best;
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
