package io.isthmus.runtime.kernel.bench;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.Linear;
import io.isthmus.runtime.kernel.PoolBenchmark;
import io.isthmus.runtime.kernel.Quantize;
import io.isthmus.runtime.kernel.TensorMatrix;
import io.isthmus.runtime.kernel.VectorSettings;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.quant.PackedFormats;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * GEMV throughput of every weight type against the machine's read bandwidth, measured in the same
 * run with the same threads. Usage: {@code KernelBenchmark [threads] [rows] [cols]} [types,...]} (defaults:
 * all CPUs, 11008 × 4096, a Llama-7B FFN matrix, all types).
 */
public final class KernelBenchmark {

    private static final GgmlType[] TYPES = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
            GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K};

    /** Packed formats measured after the GGUF types, quantized from the same values (one line per format). */
    private static final List<String> PACKED = List.of(
            "lut4", "lut3", "lut4+sparse", "lut3+sparse");

    private KernelBenchmark() {
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 11008;
        int cols = args.length > 2 ? Integer.parseInt(args[2]) : 4096;
        List<String> names = args.length > 3 ? List.of(args[3].split(",")) : null;
        List<GgmlType> types = names == null ? List.of(TYPES) : names.stream().filter(KernelBenchmark::isGgufType)
                .map(GgmlType::valueOf).toList();
        List<String> packed = names == null ? PACKED : names.stream().filter(n -> !isGgufType(n)).toList();
        run(System.out, threads, rows, cols, types, packed);
    }

    private static boolean isGgufType(String name) {
        return Arrays.stream(GgmlType.values()).anyMatch(t -> t.name().equals(name));
    }

    public static void run(PrintStream out, int threads, int rows, int cols) {
        run(out, threads, rows, cols, List.of(TYPES), PACKED);
    }

    /**
     * Runs the benchmark on {@code threads} pinned threads (0: one per CPU) and prints a table: the
     * GGUF {@code types}, then the {@code packed} format specs.
     */
    public static void run(PrintStream out, int threads, int rows, int cols, List<GgmlType> types, List<String> packed) {
        try (ComputePool pool = threads > 0 ? new ComputePool(threads) : new ComputePool();
             Arena arena = Arena.ofShared()) {
            out.printf("Isthmus kernel benchmark: %d threads, %s, GEMV %d x %d%n",
                    pool.size(), VectorSettings.describe(), rows, cols);
            double bw = ReadBandwidth.measure(pool);
            out.printf("read bandwidth (%d threads summing 1 GiB, best of 5): %.1f GB/s%n", pool.size(), bw / 1e9);
            out.printf("fork-join per region (median of 100k empty regions): %d ns%n",
                    PoolBenchmark.medianRegionNanos(pool, 100_000));
            out.printf("%-12s %12s %12s %9s %8s%n", "type", "bytes", "us/GEMV", "GB/s", "% of BW");
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
                    report(out, type.name(), TensorMatrix.of(makeWeights(weights, type, values, rows, cols, rnd)), pool, x, y, bw);
                }
            }
            for (String spec : packed) {
                try (Arena weights = Arena.ofShared()) {
                    FormatSpec f = FormatSpec.parse(spec);
                    report(out, spec, PackedFormats.forSpec(f).quantize(spec, values, rows, cols, f, null, weights),
                            pool, x, y, bw);
                }
            }
        }
    }

    private static void report(PrintStream out, String name, WeightMatrix w, ComputePool pool, float[] x, float[] y, double bw) {
        double seconds = timeGemv(pool, w, x, y);
        out.printf("%-12s %12d %12.1f %9.1f %7.1f%%%n", name, w.byteSize(), seconds * 1e6, w.byteSize() / seconds / 1e9,
                100 * w.byteSize() / seconds / bw);
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

    /**
     * Median seconds per GEMV once the JIT has settled: Vector API code runs 100-1000× slower
     * before C2 compiles it, so warm-up goes on in 200 ms windows until two consecutive windows
     * agree within 3 % (at most 8 s), then at least 0.5 s of single runs are timed.
     */
    private static double timeGemv(ComputePool pool, WeightMatrix w, float[] x, float[] y) {
        double previous = Double.MAX_VALUE;
        long warmStart = System.nanoTime();
        while (System.nanoTime() - warmStart < 8_000_000_000L) {
            long start = System.nanoTime();
            int runs = 0;
            while (System.nanoTime() - start < 200_000_000L) {
                Linear.matmul(pool, w, x, 1, y);
                runs++;
            }
            double mean = (System.nanoTime() - start) / (double) runs;
            if (Math.abs(mean - previous) < 0.03 * previous) {
                break;
            }
            previous = mean;
        }
        long[] t = new long[Math.max(5, (int) Math.min(2000, 500_000_000L / (long) previous))];
        for (int i = 0; i < t.length; i++) {
            long start = System.nanoTime();
            Linear.matmul(pool, w, x, 1, y);
            t[i] = System.nanoTime() - start;
        }
        Arrays.sort(t);
        return t[t.length / 2] / 1e9;
    }
}
