package io.isthmus.runtime.kernel.bench;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.TensorMatrix;
import io.isthmus.runtime.model.Repacking;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.quant.FormatTarget;
import io.isthmus.runtime.quant.PackedFormats;
import io.isthmus.runtime.quant.PackedMatrix;
import io.isthmus.runtime.kernel.Linear;
import io.isthmus.runtime.kernel.NibbleLevels;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * GEMV throughput of every weight type — the GGUF types and every packed family of
 * {@link PackedFormats} at its default spec — against the machine's read bandwidth, measured with the
 * same threads just before and just after each format: this project's VM moves between two
 * bandwidth levels (about 37 and 67 GB/s) over minutes, so a figure taken once at the start made
 * kernels that ran after a change of level read 100 % or more. Usage: {@code KernelBenchmark [threads] [rows] [cols] [formats,...]}
 * (defaults: all CPUs, 11008 × 4096, a Llama-7B FFN matrix, all formats).
 */
public final class KernelBenchmark {

    private static final GgmlType[] TYPES = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
            GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K};

    /**
     * Bytes of weights each format's GEMVs rotate through, well beyond the L3 of the machines at hand
     * ({@code -Disthmus.bench.rotation-mib=0} with a small matrix times a kernel's arithmetic from cache).
     */
    static final long ROTATION_BYTES = Long.getLong("isthmus.bench.rotation-mib", 256) << 20;

    /** Weight bytes per thread of the "cache GB/s" column: well inside the 1-2 MiB L2 of Zen 4/5 and Sapphire Rapids. */
    static final long CACHE_BYTES_PER_THREAD = 384 << 10;

    /** How long a format's warm-up may wait for the JIT to settle. */
    private static final long WARMUP_LIMIT_NANOS = 20_000_000_000L;

    private KernelBenchmark() {
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 11008;
        int cols = args.length > 2 ? Integer.parseInt(args[2]) : 4096;
        run(System.out, threads, rows, cols, args.length > 3 ? List.of(args[3].split(",")) : allFormats());
    }

    public static void run(PrintStream out, int threads, int rows, int cols) {
        run(out, threads, rows, cols, allFormats());
    }

    /** Every format benchmarked by default: the GGUF types, then each packed family at its default spec. */
    public static List<String> allFormats() {
        List<String> all = new ArrayList<>();
        for (GgmlType t : TYPES) {
            all.add(t.name().toLowerCase(Locale.ROOT));
        }
        for (String name : PackedFormats.names()) {
            all.add(FormatTarget.of(FormatSpec.parse(name)).spec().spec());
        }
        return all;
    }

    /**
     * Runs the benchmark on {@code threads} pinned threads (0: one per CPU) and prints a table; each of
     * {@code formats} is a GGUF type name or a packed format spec.
     */
    public static void run(PrintStream out, int threads, int rows, int cols, List<String> formats) {
        try (ComputePool pool = threads > 0 ? new ComputePool(threads) : new ComputePool();
             Arena arena = Arena.ofShared();
             ReadBandwidth bandwidth = ReadBandwidth.on(pool)) {
            pool.pinAsDriver(); // as the engine's thread: this one is worker 0, on the first CPU, not free to share a worker's
            out.printf("Isthmus kernel benchmark: %d threads, %s, %s, GEMV %d x %d%n", pool.size(),
                    VectorSettings.describe(), NibbleLevels.describe(), rows, cols);
            double read = bandwidth.best(5);
            out.printf("read bandwidth (%d threads summing 1 GiB, best of 5): %.1f GB/s%n", pool.size(), read / 1e9);
            out.printf("fork-join per region (median of 100k empty regions): %d ns%n",
                    PoolBenchmark.medianRegionNanos(pool, 100_000));
            out.printf("each format's matrix is copied until %d MiB rotate through the GEMVs, so they read DRAM, not L3%n",
                    ROTATION_BYTES >> 20);
            out.printf("each format's bound is the read bandwidth measured just before and just after it (the higher, best of 3 each)%n");
            out.printf("cache GB/s: the same kernel over its first rows, %d KiB a thread, which stay in L2: its arithmetic alone%n",
                    CACHE_BYTES_PER_THREAD >> 10);
            out.printf("%-18s %12s %12s %9s %9s %8s %10s %8s %10s%n", "format", "bytes", "us/GEMV", "GB/s", "BW GB/s", "% of BW",
                    "best GB/s", "best %", "cache GB/s");
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
            List<String> unsettled = new ArrayList<>(), stalled = new ArrayList<>();
            for (String format : formats) {
                try (Arena weights = Arena.ofShared()) {
                    WeightMatrix w = makeWeights(weights, format, values, rows, cols, rnd);
                    WeightMatrix[] rotation = copies(w, weights);
                    for (int i = 0; i < rotation.length; i++) { // in the layout models bind it in
                        rotation[i] = Repacking.forCompute(rotation[i], weights);
                    }
                    double before = bandwidth.best(3);
                    Timing dram = timeGemv(pool, rotation, x, y);
                    double bw = Math.max(before, bandwidth.best(3)); // the VM's memory changes level over minutes
                    WeightMatrix cached = cacheSlice(rotation[0], pool.size());
                    Timing cache = timeGemv(pool, new WeightMatrix[] {cached}, x, y);
                    long bytes = rotation[0].byteSize(); // what the GEMVs read, in the layout they read it from
                    out.printf("%-18s %12d %12.1f %9.1f %9.1f %7.1f%% %10.1f %7.1f%% %10.1f%n", w.format(), bytes,
                            dram.median * 1e6, bytes / dram.median / 1e9, bw / 1e9, 100 * bytes / dram.median / bw,
                            bytes / dram.best / 1e9, 100 * bytes / dram.best / bw, cached.byteSize() / cache.median / 1e9);
                    if (!dram.settled || !cache.settled) {
                        unsettled.add(w.format());
                    }
                    if (bytes / dram.median < STALL_RATIO * (cached.byteSize() / cache.median)) {
                        stalled.add(w.format());
                    }
                }
            }
            if (!stalled.isEmpty()) {
                out.printf("warning: %s read DRAM at under a fifth of their L2 speed while the JIT was quiet: not the"
                        + " memory but compiled code, such as a vector call C2 failed to inline, which boxes its vectors"
                        + " (examples/bench/results/kernels-4bit-amx-16cpu/stop34); time each such format in a JVM of its"
                        + " own%n", String.join(", ", stalled));
            }
            if (!unsettled.isEmpty()) {
                out.printf("warning: the JIT was still compiling after %d s of warm-up for %s; their figures may be low%n",
                        WARMUP_LIMIT_NANOS / 1_000_000_000L, String.join(", ", unsettled));
            }
        }
    }

    /**
     * {@code values} ({@code rows × cols}) as a matrix of {@code format}, a GGUF type name or a packed
     * format spec, in the format's own layout (K-quants get random codes, as only their time matters here).
     */
    public static WeightMatrix makeWeights(Arena arena, String format, float[] values, int rows, int cols, Random rnd) {
        GgmlType type = Arrays.stream(GgmlType.values()).filter(t -> t.name().equalsIgnoreCase(format)).findFirst().orElse(null);
        if (type == null) {
            FormatTarget target = FormatTarget.of(FormatSpec.parse(format));
            if (!(target instanceof FormatTarget.Packed p)) {
                throw new IllegalArgumentException("cannot benchmark format '" + format + "'");
            }
            return p.family().quantize("bench", values, rows, cols, p.spec(), null, arena);
        }
        return TensorMatrix.of(makeTensor(arena, type, values, rows, cols, rnd));
    }

    private static Tensor makeTensor(Arena arena, GgmlType type, float[] values, int rows, int cols, Random rnd) {
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
     * {@code w} and copies of it, {@link #ROTATION_BYTES} in all: one matrix of a 4-bit format
     * (24 MB here) would stay in a 32 MB L3 from one GEMV to the next and beat DRAM bandwidth.
     */
    private static WeightMatrix[] copies(WeightMatrix w, Arena arena) {
        int n = (int) Math.max(1, (ROTATION_BYTES + w.byteSize() - 1) / w.byteSize());
        WeightMatrix[] all = new WeightMatrix[n];
        all[0] = w;
        for (int i = 1; i < n; i++) {
            all[i] = switch (w) {
                case TensorMatrix t -> TensorMatrix.of(
                        new Tensor(t.name(), t.type(), t.tensor().shape(), copy(t.tensor().data(), arena)));
                case PackedMatrix p -> {
                    Map<String, MemorySegment> parts = new LinkedHashMap<>();
                    p.parts().forEach((name, part) -> parts.put(name, copy(part, arena)));
                    yield PackedFormats.forSpec(p.spec()).read(p.name(), p.rows(), p.cols(), p.spec(), parts);
                }
                default -> throw new IllegalArgumentException("cannot copy " + w.format() + " matrix " + w.name());
            };
        }
        return all;
    }

    private static MemorySegment copy(MemorySegment src, Arena arena) {
        MemorySegment dst = arena.allocate(src.byteSize(), 64);
        dst.copyFrom(src);
        return dst;
    }

    /**
     * The first rows of {@code w}, about {@link #CACHE_BYTES_PER_THREAD} per thread (at least 16 rows a
     * thread): GEMVs over them read L2, so their rate is what the kernel's arithmetic allows.
     */
    private static WeightMatrix cacheSlice(WeightMatrix w, int threads) {
        long rowBytes = Math.max(1, w.byteSize() / w.rows());
        int perThread = (int) Math.max(16, CACHE_BYTES_PER_THREAD / rowBytes / 16 * 16);
        return w.sliceRows(0, Math.min(w.rows(), perThread * threads));
    }

    /** Median and best seconds per GEMV, and whether the JIT had settled before timing began. */
    private record Timing(double median, double best, boolean settled) {
    }

    /**
     * DRAM speed under this fraction of the L2 speed is not the memory: the 4-bit kernels read DRAM at
     * 0.7–1.3 times their L2 speed, and the stalls seen were 0.002–0.12 times.
     */
    private static final double STALL_RATIO = 0.2;

    /**
     * Median and best seconds per GEMV once the JIT has settled (the best, like the bandwidth's best
     * of 5, is what the kernel does when no other process takes its cores; on a shared host the
     * median is often far from it). Vector API code runs 100-1000× slower before C2 compiles it, so
     * warm-up goes on in 200 ms windows until two consecutive windows agree within 3 % and the JIT
     * was quiet through the second ({@link JitActivity}; at most {@link #WARMUP_LIMIT_NANOS}), then
     * at least 0.5 s of single runs are timed. Agreement alone was not enough: with both CPUs running
     * the GEMV, C2's thread can take longer than two windows to compile a kernel, and two slow
     * windows then agree (Q4_0 once measured at 0.0 GB/s, Q4_K at 1.4, a Q4_0 row slice at 4.2). Each run multiplies the next of the copies {@code ws}.
     */
    private static Timing timeGemv(ComputePool pool, WeightMatrix[] ws, float[] x, float[] y) {
        JitActivity jit = new JitActivity();
        int next = 0;
        double previous = Double.MAX_VALUE;
        boolean settled = false;
        long warmStart = System.nanoTime();
        while (!settled && System.nanoTime() - warmStart < WARMUP_LIMIT_NANOS) {
            long start = System.nanoTime();
            int runs = 0;
            while (System.nanoTime() - start < 200_000_000L) {
                Linear.matmul(pool, ws[next++ % ws.length], x, 1, y);
                runs++;
            }
            double mean = (System.nanoTime() - start) / (double) runs;
            settled = jit.quietSinceLastCall() && Math.abs(mean - previous) < 0.03 * previous;
            previous = mean;
        }
        long[] t = new long[Math.max(5, (int) Math.min(2000, 500_000_000L / (long) previous))];
        for (int i = 0; i < t.length; i++) {
            WeightMatrix w = ws[next++ % ws.length];
            long start = System.nanoTime();
            Linear.matmul(pool, w, x, 1, y);
            t[i] = System.nanoTime() - start;
        }
        Arrays.sort(t);
        return new Timing(t[t.length / 2] / 1e9, t[0] / 1e9, settled);
    }
}
