package io.isthmus.runtime.synth;

import io.isthmus.runtime.format.GgufWriter;
import io.isthmus.runtime.kernel.Quantize;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;

/**
 * Writes a GGUF model of a real model's shape with seeded random weights: the loader, shard planner
 * and kernels treat it as any GGUF, so it measures speed at sizes whose real weights are not here.
 * Matrices are uniform in ±0.02·√3 (standard deviation 0.02, as models are initialised), norms 1,
 * biases 0, quantized to the chosen type with {@link Quantize}; the same seed gives the same file
 * whatever the thread count (each block of rows has its own generator). The vocabulary is
 * {@link SyntheticVocabulary}'s. Text from such a model is noise; its speed is real.
 */
public final class SyntheticModelWriter {
    private static final double RANGE = 0.02 * Math.sqrt(3);
    private static final int ROWS_PER_TASK = 64;
    private static final float NORM_EPS = 1e-5f;

    private SyntheticModelWriter() {
    }

    /** Matrix element types a synthetic model may be written in. */
    public static GgmlType type(String format) {
        return switch (format.toLowerCase(Locale.ROOT)) {
            case "f32" -> GgmlType.F32;
            case "f16" -> GgmlType.F16;
            case "bf16" -> GgmlType.BF16;
            case "q8_0" -> GgmlType.Q8_0;
            case "q4_0" -> GgmlType.Q4_0;
            default -> throw new IllegalArgumentException("format '" + format
                    + "' for a synthetic model (supported: f32, f16, bf16, q8_0, q4_0)");
        };
    }

    /** A matrix of the model: its name, rows × cols. */
    private record Matrix(String name, int rows, int cols) {
    }

    /**
     * Writes {@code shape} with weights of {@code type} to {@code out} using {@code threads} threads;
     * {@code progress} receives the bytes of each finished block of rows (of {@link #bytes} in all).
     */
    public static void write(SyntheticShape shape, GgmlType type, long seed, Path out, int threads, LongConsumer progress) {
        List<Matrix> matrices = matrices(shape);
        try (GgufWriter w = new GgufWriter(out)) {
            metadata(w, shape, seed);
            for (Matrix m : matrices) {
                w.declareTensor(m.name(), type, m.cols(), m.rows());
            }
            List<String> vectors = vectors(shape);
            for (String v : vectors) {
                w.declareTensor(v, GgmlType.F32, shape.dim());
            }
            try (Arena arena = Arena.ofConfined()) {
                for (String v : vectors) {
                    float[] values = new float[shape.dim()];
                    java.util.Arrays.fill(values, v.endsWith(".bias") ? 0f : 1f);
                    w.writeTensor(v, 0, Quantize.quantize(arena, v, GgmlType.F32, values, 0, 1, shape.dim()).data());
                }
            }
            ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
            try {
                List<Future<?>> tasks = new ArrayList<>();
                for (int t = 0; t < matrices.size(); t++) {
                    Matrix m = matrices.get(t);
                    for (int from = 0; from < m.rows(); from += ROWS_PER_TASK) {
                        int rows = Math.min(ROWS_PER_TASK, m.rows() - from);
                        long taskSeed = mix(seed, t, from);
                        int first = from;
                        tasks.add(pool.submit(() -> {
                            writeRows(w, m, type, first, rows, taskSeed);
                            progress.accept(type.rowBytes(m.cols()) * rows);
                        }));
                    }
                }
                for (Future<?> f : tasks) {
                    f.get();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while writing " + out, e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Bytes the weights of {@code shape} take in {@code type} (the file is this plus a small header). */
    public static long bytes(SyntheticShape shape, GgmlType type) {
        long b = 0;
        for (Matrix m : matrices(shape)) {
            b += type.rowBytes(m.cols()) * m.rows();
        }
        return b;
    }

    private static void writeRows(GgufWriter w, Matrix m, GgmlType type, int from, int rows, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[rows * m.cols()];
        float scale = (float) (RANGE / (1L << 31));
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextInt() * scale;
        }
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Quantize.quantize(arena, m.name(), type, values, 0, rows, m.cols());
            w.writeTensor(m.name(), type.rowBytes(m.cols()) * from, t.data());
        }
    }

    private static long mix(long seed, int tensor, int row) {
        return new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (tensor + 1)) ^ ((long) row << 32)).nextLong();
    }

    private static List<Matrix> matrices(SyntheticShape s) {
        List<Matrix> out = new ArrayList<>();
        out.add(new Matrix("token_embd.weight", s.vocabSize(), s.dim()));
        for (int l = 0; l < s.layers(); l++) {
            String p = "blk." + l + ".";
            if (s.isLlama()) {
                out.add(new Matrix(p + "attn_q.weight", s.dim(), s.dim()));
                out.add(new Matrix(p + "attn_k.weight", s.kvDim(), s.dim()));
                out.add(new Matrix(p + "attn_v.weight", s.kvDim(), s.dim()));
            } else {
                out.add(new Matrix(p + "attn_qkv.weight", 3 * s.dim(), s.dim()));
            }
            out.add(new Matrix(p + "attn_output.weight", s.dim(), s.dim()));
            if (s.isLlama()) {
                out.add(new Matrix(p + "ffn_gate.weight", s.ffnDim(), s.dim()));
            }
            out.add(new Matrix(p + "ffn_up.weight", s.ffnDim(), s.dim()));
            out.add(new Matrix(p + "ffn_down.weight", s.dim(), s.ffnDim()));
        }
        out.add(new Matrix("output.weight", s.vocabSize(), s.dim()));
        return out;
    }

    /** Norm weights (and, for GPT-NeoX, norm biases), all of length dim. */
    private static List<String> vectors(SyntheticShape s) {
        List<String> out = new ArrayList<>();
        List<String> norms = new ArrayList<>();
        for (int l = 0; l < s.layers(); l++) {
            norms.add("blk." + l + ".attn_norm");
            norms.add("blk." + l + ".ffn_norm");
        }
        norms.add("output_norm");
        for (String n : norms) {
            out.add(n + ".weight");
            if (!s.isLlama()) {
                out.add(n + ".bias");
            }
        }
        return out;
    }

    private static void metadata(GgufWriter w, SyntheticShape s, long seed) {
        String a = s.architecture();
        w.putString("general.architecture", a);
        w.putString("general.name", "synthetic " + s.name() + " (seed " + seed + ")");
        w.putU32(a + ".context_length", s.contextLength());
        w.putU32(a + ".embedding_length", s.dim());
        w.putU32(a + ".block_count", s.layers());
        w.putU32(a + ".feed_forward_length", s.ffnDim());
        w.putU32(a + ".attention.head_count", s.heads());
        w.putU32(a + ".rope.dimension_count", s.ropeDims());
        if (s.isLlama()) {
            w.putU32(a + ".attention.head_count_kv", s.kvHeads());
            w.putF32(a + ".attention.layer_norm_rms_epsilon", NORM_EPS);
            w.putF32(a + ".rope.freq_base", 10000f);
        } else {
            w.putF32(a + ".attention.layer_norm_epsilon", NORM_EPS);
            w.putBool(a + ".use_parallel_residual", true);
        }
        SyntheticVocabulary v = new SyntheticVocabulary(s.vocabSize());
        w.putString("tokenizer.ggml.model", "llama");
        w.putStrings("tokenizer.ggml.tokens", v.pieces);
        w.putF32s("tokenizer.ggml.scores", v.scores);
        w.putI32s("tokenizer.ggml.token_type", v.types);
        w.putU32("tokenizer.ggml.bos_token_id", 1);
        w.putU32("tokenizer.ggml.eos_token_id", 2);
        w.putU32("tokenizer.ggml.unknown_token_id", 0);
    }
}
