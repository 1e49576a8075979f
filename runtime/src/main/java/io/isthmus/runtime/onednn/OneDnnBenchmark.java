package io.isthmus.runtime.onednn;

import io.isthmus.collectives.Bf16;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.Linear;
import io.isthmus.runtime.kernel.TensorMatrix;
import io.isthmus.runtime.kernel.VectorSettings;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.model.KvCache;
import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.Transformer;
import io.isthmus.runtime.quant.uniform.Int8Matrix;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * GFLOP/s of the oneDNN paths against the Vector API kernels in the same run, on a 7B-class
 * layer's shapes, then a 7B-shaped layer stack's prefill against oneDNN's own 4096³ bf16 figure.
 * Prints the ISA oneDNN dispatches to and the implementation each primitive uses.
 */
public final class OneDnnBenchmark {

    /** What to run; see {@code launcher bench-onednn --help}. */
    public record Options(int threads, int k, int[] ns, int[] ms, int layers, int promptTokens, double secondsPerPoint,
                          int vectorMaxM, boolean skipTable) {
    }

    private final PrintStream out;
    private final Options o;
    private final ComputePool pool;
    private final OneDnn dnn;

    private OneDnnBenchmark(PrintStream out, Options o, ComputePool pool, OneDnn dnn) {
        this.out = out;
        this.o = o;
        this.pool = pool;
        this.dnn = dnn;
    }

    /** Runs everything and prints the tables; returns false when oneDNN could not be loaded. */
    public static boolean run(PrintStream out, Options o) {
        Thread.currentThread().setName("isthmus-bench"); // oneDNN's OpenMP threads inherit this name
        List<ThreadCensus.Task> beforeOneDnn = ThreadCensus.tasks();
        try (ComputePool pool = o.threads() > 0 ? new ComputePool(o.threads()) : new ComputePool()) {
            pool.pinAsDriver(); // as the engine's thread: the pool's worker 0 and oneDNN's OpenMP master, on the first CPU
            var dnn = OneDnn.get(pool.cpus());
            if (dnn.isEmpty()) {
                out.println("oneDNN unavailable: " + OneDnn.unavailableReason());
                return false;
            }
            OneDnnBenchmark b = new OneDnnBenchmark(out, o, pool, dnn.get());
            out.printf("Isthmus oneDNN benchmark: %d compute threads, %s%n", pool.size(), VectorSettings.describe());
            out.println(dnn.get().describe());
            out.println("effective ISA: " + dnn.get().isa().label() + (dnn.get().isa().hasAmx() ? " (AMX)" : " (no AMX)"));
            double reference = b.reference4096(beforeOneDnn);
            if (!o.skipTable()) {
                b.matmulTable();
                b.decompressionTable();
            }
            b.layerStack(reference);
            return true;
        }
    }

    /**
     * oneDNN's bf16 primitive alone on 4096 × 4096 × 4096 (activations already bf16): the yardstick.
     * Also reports, from /proc, the OpenMP threads oneDNN started (those named after this thread
     * that were not there before) with their CPUs, and the CPU time they and the compute pool's
     * workers used while the primitive ran.
     */
    private double reference4096(List<ThreadCensus.Task> beforeOneDnn) {
        int s = 4096;
        try (Arena arena = Arena.ofShared()) {
            OneDnnMatrix w = wrap(bf16Matrix("ref", s, s, arena, new SplittableRandom(1)));
            PreparedWeights p = w.prepared();
            MemorySegment src = arena.allocate(p.sourceBytes(s), 64);
            MemorySegment dst = arena.allocate(4L * s * s, 64);
            p.executeNative(pool, s, src, dst);
            List<ThreadCensus.Task> start = ThreadCensus.tasks();
            long t0 = System.nanoTime();
            double sec = seconds(() -> p.executeNative(pool, s, src, dst));
            double wallMs = (System.nanoTime() - t0) / 1e6;
            List<ThreadCensus.Task> end = ThreadCensus.tasks();
            double gflops = 2.0 * s * s * s / sec / 1e9;
            out.printf("%nreference: oneDNN bf16 matmul 4096x4096x4096, primitive alone: %.1f GFLOP/s (%.2f ms, %s)%n",
                    gflops, sec * 1e3, p.implementation(s));
            threadReport(beforeOneDnn, start, end, wallMs);
            return gflops;
        }
    }

    private void threadReport(List<ThreadCensus.Task> beforeOneDnn, List<ThreadCensus.Task> start,
                              List<ThreadCensus.Task> end, double wallMs) {
        Set<Integer> old = new java.util.HashSet<>();
        beforeOneDnn.forEach(t -> old.add(t.tid()));
        String master = "isthmus-bench";
        List<ThreadCensus.Task> team = end.stream().filter(t -> !old.contains(t.tid()) && t.name().equals(master)).toList();
        List<ThreadCensus.Task> workers = end.stream().filter(t -> t.name().startsWith("isthmus-comput")).toList();
        out.printf("OpenMP threads started by oneDNN (/proc/self/task): %d besides the calling thread, CPUs %s%n",
                team.size(), team.stream().map(t -> "[" + t.cpus() + "]").toList());
        out.printf("CPU time during %.0f ms of those calls: OpenMP threads %s ms, compute-pool workers %s ms%n", wallMs,
                team.stream().map(t -> String.format("%.0f", ThreadCensus.cpuMsBetween(start, end, t.tid()))).toList(),
                workers.stream().map(t -> String.format("%.0f", ThreadCensus.cpuMsBetween(start, end, t.tid()))).toList());
    }

    /** One row per (N, M): GFLOP/s of each path, the Vector API kernels first. */
    private void matmulTable() {
        out.printf("%nmatmul y = x·Wᵀ, K = %d: GFLOP/s per path (Vector API = the kernels decode uses; oneDNN includes"
                + " converting x and copying y back)%n", o.k());
        out.printf("%6s %6s %12s %12s %12s %12s%n", "N", "M", "vector bf16", "oneDNN bf16", "vector int8", "oneDNN int8");
        Set<String> implementations = new LinkedHashSet<>();
        SplittableRandom rnd = new SplittableRandom(2);
        for (int n : o.ns()) {
            try (Arena arena = Arena.ofShared()) {
                TensorMatrix bf16 = bf16Matrix("w", n, o.k(), arena, rnd);
                Int8Matrix int8 = int8Matrix("w", n, o.k(), arena, rnd);
                OneDnnMatrix dBf16 = wrap(bf16);
                OneDnnMatrix dInt8 = wrap(int8);
                for (int m : o.ms()) {
                    float[] x = randomFloats(m * o.k(), rnd);
                    float[] y = new float[m * n];
                    double flop = 2.0 * m * n * o.k();
                    boolean vector = m <= o.vectorMaxM();
                    String vb = vector ? gflops(flop, seconds(() -> Linear.matmul(pool, (WeightMatrix) bf16, x, m, y))) : "-";
                    String db = dBf16.prepared().supports(m) ? gflops(flop, seconds(() -> dBf16.matmulOneDnn(pool, x, 0, m, y, 0))) : "n/a";
                    String vi = vector ? gflops(flop, seconds(() -> Linear.matmul(pool, (WeightMatrix) int8, x, m, y))) : "-";
                    String di = dInt8.prepared().supports(m) ? gflops(flop, seconds(() -> dInt8.matmulOneDnn(pool, x, 0, m, y, 0))) : "n/a";
                    out.printf("%6d %6d %12s %12s %12s %12s%n", n, m, vb, db, vi, di);
                    implementations.add("bf16 M=" + m + ": " + (dBf16.prepared().supports(m) ? dBf16.implementation(m) : "none"));
                    implementations.add("int8 M=" + m + ": " + (dInt8.prepared().supports(m) ? dInt8.implementation(m) : "none"));
                }
            }
        }
        out.println("oneDNN implementations: " + summarize(implementations));
    }

    /**
     * Integer weights on bf16 activations: oneDNN's weight decompression against dequantizing tiles
     * to bf16 and calling the bf16 matmul (DESIGN.md §5: keep the faster per shape), for int8 (one
     * scale per row) and 4-bit (decompression: u4 with a scale and zero point per 128; tiles: the
     * Q4_0 GGUF type's dequantizer, groups of 32), and the Q4_0 Vector API kernel beside them: where
     * tiles overtake it is {@link OneDnnMatrices#tilesMinRows}. Where oneDNN has only its reference (plain C++)
     * implementation, the cell says "(ref)" instead of timing it: orders of magnitude slower.
     */
    private void decompressionTable() {
        out.printf("%nint8 and 4-bit weights, bf16 activations, K = %d: GFLOP/s of weight decompression vs dequantized bf16"
                + " tiles (%d rows each)%n", o.k(), DequantizedTiles.tileRows(o.k()));
        out.printf("%6s %6s %14s %14s %14s %14s %14s%n", "N", "M", "decomp s8", "tiles int8", "decomp u4-g128", "tiles q4_0",
                "vector q4_0");
        SplittableRandom rnd = new SplittableRandom(4);
        Set<String> implementations = new LinkedHashSet<>();
        for (int n : o.ns()) {
            try (Arena arena = Arena.ofShared()) {
                int k = o.k();
                Int8Matrix int8 = int8Matrix("w", n, k, arena, rnd);
                OneDnnMatrix decS8 = OneDnnMatrices.decompressing(int8, OneDnnMatrices.integerWeights(int8), pool, 1).orElseThrow();
                OneDnnMatrix tilesS8 = OneDnnMatrices.dequantizingTiles(int8, pool, 1).orElseThrow();
                OneDnnMatrix decU4 = OneDnnMatrices.decompressing(int8, u4Weights(n, k, 128, arena, rnd), pool, 1).orElseThrow();
                float[] values = randomFloats(n * k, rnd);
                TensorMatrix q4 = TensorMatrix.of(io.isthmus.runtime.kernel.Quantize.quantize(arena, "w", GgmlType.Q4_0,
                        values, 0, n, k));
                OneDnnMatrix tilesQ4 = OneDnnMatrices.dequantizingTiles(q4, pool, 1).orElseThrow();
                for (int m : o.ms()) {
                    float[] x = randomFloats(m * k, rnd);
                    float[] y = new float[m * n];
                    double flop = 2.0 * m * n * k;
                    String[] cells = new String[4];
                    OneDnnMatrix[] paths = {decS8, tilesS8, decU4, tilesQ4};
                    for (int i = 0; i < paths.length; i++) {
                        OneDnnMatrix p = paths[i];
                        cells[i] = !p.prepared().supports(m) ? "n/a"
                                : p.implementation(m).startsWith("ref") ? "(ref)"
                                : gflops(flop, seconds(() -> p.matmulOneDnn(pool, x, 0, m, y, 0)));
                        implementations.add(p.path() + " M=" + m + ": " + (p.prepared().supports(m) ? p.implementation(m) : "none"));
                    }
                    String vector = m <= o.vectorMaxM() ? gflops(flop, seconds(() -> Linear.matmul(pool, (WeightMatrix) q4, x, m, y))) : "-";
                    out.printf("%6d %6d %14s %14s %14s %14s %14s%n", n, m, cells[0], cells[1], cells[2], cells[3], vector);
                }
            }
        }
        out.println("oneDNN implementations: " + summarize(implementations));
    }

    /** Random u4 codes with a scale and a zero point per {@code group} inputs. */
    private static IntegerWeights u4Weights(int rows, int cols, int group, Arena arena, SplittableRandom rnd) {
        MemorySegment codes = arena.allocate((long) rows * cols / 2, 64);
        for (long i = 0; i < codes.byteSize(); i++) {
            codes.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(256));
        }
        long groups = (long) rows * (cols / group);
        MemorySegment scales = arena.allocate(4 * groups, 64);
        MemorySegment zeros = arena.allocate(groups, 64);
        for (long g = 0; g < groups; g++) {
            scales.setAtIndex(ValueLayout.JAVA_FLOAT, g, (float) (0.5 / (8 * Math.sqrt(cols))));
            zeros.set(ValueLayout.JAVA_BYTE, g, (byte) 8);
        }
        return new IntegerWeights(rows, cols, codes, DataType.U4, group, scales, zeros);
    }

    /**
     * A 7B-shaped stack (dim 4096, FFN 11008, 32 heads) of {@code layers} layers: one prefill of
     * {@code promptTokens} tokens, as one batch and in the engine's batches of 64, oneDNN vs Vector
     * API, bf16, int8 and q4_0 (dequantized tiles). GFLOP/s counts the layers' matrix products only (attention, norms,
     * embedding and the logits of the last token are in the time, not in the count); "in oneDNN"
     * is the part of one more prefill spent in oneDNN's products, activation conversions included.
     */
    private void layerStack(double reference) {
        int t = o.promptTokens();
        out.printf("%nprefill of %d tokens through %d 7B-shaped layers (dim 4096, ffn 11008, 32 heads; random weights)%n",
                t, o.layers());
        out.printf("%-6s %-8s %8s %12s %10s %14s %12s%n", "format", "path", "batch", "prompt ms", "GFLOP/s", "of 4096^3 ref",
                "in oneDNN ms");
        for (String format : List.of("bf16", "int8", "q4_0")) {
            try (Arena arena = Arena.ofShared()) {
                ModelWeights weights = stackWeights(format, arena);
                for (boolean onednn : new boolean[] {true, false}) {
                    if (!onednn && t > o.vectorMaxM()) {
                        out.printf("%-6s %-8s %8s %12s%n", format, "vector", "-", "skipped (--vector-max-m)");
                        continue;
                    }
                    Transformer model = transformer(weights, onednn);
                    for (int batch : t > 64 ? new int[] {t, 64} : new int[] {t}) {
                        double sec = seconds(() -> prefill(model, t, batch));
                        double flop = 2.0 * t * perLayerParams() * o.layers();
                        double g = flop / sec / 1e9;
                        OneDnnMatrix.NANOS.reset(); // one more run, for the time inside oneDNN's products
                        prefill(model, t, batch);
                        double inOneDnn = OneDnnMatrix.NANOS.sum() / 1e6;
                        out.printf("%-6s %-8s %8d %12.1f %10.1f %13.0f%% %12s%n", format, onednn ? "oneDNN" : "vector", batch,
                                sec * 1e3, g, 100 * g / reference, onednn ? String.format("%.1f", inOneDnn) : "-");
                    }
                }
            }
        }
    }

    private Transformer transformer(ModelWeights weights, boolean onednn) {
        String before = System.getProperty("isthmus.onednn");
        System.setProperty("isthmus.onednn", onednn ? "on" : "off");
        try {
            return new Transformer(weights, pool);
        } finally {
            if (before == null) {
                System.clearProperty("isthmus.onednn");
            } else {
                System.setProperty("isthmus.onednn", before);
            }
        }
    }

    private static void prefill(Transformer model, int tokens, int batch) {
        int[] ids = new int[tokens];
        for (int i = 0; i < tokens; i++) {
            ids[i] = (i * 31) % model.config().vocabSize();
        }
        KvCache cache = model.newCache(KvCacheType.F32, tokens);
        float[] logits = new float[model.config().vocabSize()];
        for (int off = 0; off < tokens; off += batch) {
            model.forward(cache, ids, off, Math.min(batch, tokens - off), off, logits, false);
        }
    }

    private static final int DIM = 4096, FFN = 11008, HEADS = 32, VOCAB = 256;

    private static long perLayerParams() {
        return 4L * DIM * DIM + 3L * DIM * FFN;
    }

    private ModelWeights stackWeights(String format, Arena arena) {
        var config = new io.isthmus.runtime.model.ModelConfig(io.isthmus.runtime.model.Architecture.LLAMA, DIM, FFN,
                o.layers(), HEADS, HEADS, DIM / HEADS, VOCAB, o.promptTokens(), 1e-5f, DIM / HEADS, 10000, 1,
                io.isthmus.runtime.kernel.RopeStyle.ADJACENT_PAIRS, false, io.isthmus.runtime.model.QkvLayout.SEPARATE,
                io.isthmus.runtime.model.Activation.SWIGLU);
        SplittableRandom rnd = new SplittableRandom(3);
        java.util.Map<String, Tensor> tensors = new java.util.LinkedHashMap<>();
        java.util.Map<String, WeightMatrix> packed = new java.util.LinkedHashMap<>();
        Function<String, Tensor> norm = name -> {
            MemorySegment s = arena.allocate(4L * DIM, 64);
            for (int i = 0; i < DIM; i++) {
                s.setAtIndex(ValueLayout.JAVA_FLOAT, i, 1f);
            }
            return new Tensor(name, GgmlType.F32, new long[] {DIM}, s);
        };
        tensors.put("token_embd.weight", bf16Matrix("token_embd.weight", VOCAB, DIM, arena, rnd).tensor());
        tensors.put("output_norm.weight", norm.apply("output_norm.weight"));
        tensors.put("output.weight", bf16Matrix("output.weight", VOCAB, DIM, arena, rnd).tensor());
        for (int l = 0; l < o.layers(); l++) {
            String p = "blk." + l + ".";
            tensors.put(p + "attn_norm.weight", norm.apply(p + "attn_norm.weight"));
            tensors.put(p + "ffn_norm.weight", norm.apply(p + "ffn_norm.weight"));
            String[][] shapes = {{"attn_q", "4096", "4096"}, {"attn_k", "4096", "4096"}, {"attn_v", "4096", "4096"},
                    {"attn_output", "4096", "4096"}, {"ffn_gate", "11008", "4096"}, {"ffn_up", "11008", "4096"},
                    {"ffn_down", "4096", "11008"}};
            for (String[] s : shapes) {
                String name = p + s[0] + ".weight";
                int rows = Integer.parseInt(s[1]);
                int cols = Integer.parseInt(s[2]);
                switch (format) {
                    case "bf16" -> tensors.put(name, bf16Matrix(name, rows, cols, arena, rnd).tensor());
                    case "q4_0" -> tensors.put(name, q4_0Matrix(name, rows, cols, arena, rnd).tensor());
                    default -> packed.put(name, int8Matrix(name, rows, cols, arena, rnd));
                }
            }
        }
        return new ModelWeights(config, tensors, packed, java.nio.file.Path.of("synthetic-7b-shaped"), () -> { });
    }

    private OneDnnMatrix wrap(WeightMatrix w) {
        return OneDnnMatrices.wrap(w, pool, 1).orElseThrow();
    }

    /** Random bf16 weights of magnitude ~1/√cols (so activations stay of order 1 through a stack). */
    static TensorMatrix bf16Matrix(String name, int rows, int cols, Arena arena, SplittableRandom rnd) {
        MemorySegment s = arena.allocate(2L * rows * cols, 64);
        float scale = (float) (2 / Math.sqrt(cols));
        for (long i = 0, count = (long) rows * cols; i < count; i++) {
            s.setAtIndex(ValueLayout.JAVA_SHORT, i, Bf16.fromFloat((float) (rnd.nextDouble() - 0.5) * scale));
        }
        return TensorMatrix.of(new Tensor(name, GgmlType.BF16, new long[] {cols, rows}, s));
    }

    /** Random Q4_0 weights of the same magnitude as {@link #bf16Matrix}'s: the quantized stack goes through dequantized tiles. */
    static TensorMatrix q4_0Matrix(String name, int rows, int cols, Arena arena, SplittableRandom rnd) {
        float[] values = new float[rows * cols];
        float scale = (float) (2 / Math.sqrt(cols));
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (rnd.nextDouble() - 0.5) * scale;
        }
        return TensorMatrix.of(io.isthmus.runtime.kernel.Quantize.quantize(arena, name, GgmlType.Q4_0, values, 0, rows, cols));
    }

    static Int8Matrix int8Matrix(String name, int rows, int cols, Arena arena, SplittableRandom rnd) {
        MemorySegment codes = arena.allocate((long) rows * cols, 64);
        for (long i = 0, count = (long) rows * cols; i < count; i++) {
            codes.set(ValueLayout.JAVA_BYTE, i, (byte) (rnd.nextInt(255) - 127));
        }
        MemorySegment scales = arena.allocate(4L * rows, 64);
        float scale = (float) (1 / (127 * Math.sqrt(cols)));
        for (int r = 0; r < rows; r++) {
            scales.setAtIndex(ValueLayout.JAVA_FLOAT, r, scale);
        }
        return new Int8Matrix(name, rows, cols, codes, scales);
    }

    private static float[] randomFloats(int count, SplittableRandom rnd) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    /**
     * Seconds of one run: the median of windows of runs (each at least one run and the point's time
     * budget), repeated until two windows in a row agree within 10 % (at most 8), so the JIT has
     * compiled the Vector API kernels and oneDNN has built its primitive before a figure counts.
     */
    private double seconds(Runnable r) {
        double previous = window(r);
        for (int i = 1; i < 8; i++) {
            double current = window(r);
            if (Math.abs(current - previous) <= 0.1 * previous) {
                return current;
            }
            previous = current;
        }
        return previous;
    }

    private double window(Runnable r) {
        List<Double> times = new ArrayList<>();
        long start = System.nanoTime();
        do {
            long t0 = System.nanoTime();
            r.run();
            times.add((System.nanoTime() - t0) / 1e9);
        } while (System.nanoTime() - start < o.secondsPerPoint() * 1e9);
        double[] sorted = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted[sorted.length / 2];
    }

    private static String gflops(double flop, double seconds) {
        return String.format("%.1f", flop / seconds / 1e9);
    }

    /** One line per path: "M=1 impl, M=8 impl, ..." (the same for every N, else listed per N). */
    private static String summarize(Set<String> lines) {
        return "\n  " + String.join("\n  ", lines);
    }

    /** {@code 1,8,32} → ints. */
    public static int[] parseList(String csv) {
        return Arrays.stream(csv.split(",")).map(String::strip).mapToInt(Integer::parseInt).toArray();
    }
}
