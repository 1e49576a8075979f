package io.isthmus.runtime.tp;

import io.isthmus.runtime.kernel.RopeStyle;
import io.isthmus.runtime.model.Activation;
import io.isthmus.runtime.model.Architecture;
import io.isthmus.runtime.model.ModelConfig;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.QkvLayout;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * A small random Llama-style model in memory (tied output, biases on every projection), with its
 * matrices in F32 or, for planner tests only, in a quantized type with zero blocks.
 */
final class SyntheticModel {

    private SyntheticModel() {
    }

    static ModelConfig llama(int dim, int ffn, int heads, int kvHeads, int vocab) {
        return new ModelConfig(Architecture.LLAMA, dim, ffn, 2, heads, kvHeads, dim / heads, vocab, 64, 1e-5f,
                dim / heads, 10000, 1, RopeStyle.ADJACENT_PAIRS, false, QkvLayout.SEPARATE, Activation.SWIGLU);
    }

    static ModelWeights build(ModelConfig c, GgmlType matrices, long seed) {
        Arena arena = Arena.ofShared();
        Random rnd = new Random(seed);
        Map<String, Tensor> t = new HashMap<>();
        put(t, arena, rnd, "token_embd.weight", GgmlType.F32, c.dim(), c.vocabSize(), 1f);
        put(t, arena, rnd, "output_norm.weight", GgmlType.F32, c.dim(), 1, 0);
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            put(t, arena, rnd, p + "attn_norm.weight", GgmlType.F32, c.dim(), 1, 0);
            put(t, arena, rnd, p + "ffn_norm.weight", GgmlType.F32, c.dim(), 1, 0);
            matrix(t, arena, rnd, p + "attn_q", matrices, c.dim(), c.qDim());
            matrix(t, arena, rnd, p + "attn_k", matrices, c.dim(), c.kvDim());
            matrix(t, arena, rnd, p + "attn_v", matrices, c.dim(), c.kvDim());
            matrix(t, arena, rnd, p + "attn_output", matrices, c.qDim(), c.dim());
            matrix(t, arena, rnd, p + "ffn_gate", matrices, c.dim(), c.ffnDim());
            matrix(t, arena, rnd, p + "ffn_up", matrices, c.dim(), c.ffnDim());
            matrix(t, arena, rnd, p + "ffn_down", matrices, c.ffnDim(), c.dim());
        }
        return new ModelWeights(c, t, Path.of("synthetic"), arena::close);
    }

    private static void matrix(Map<String, Tensor> t, Arena arena, Random rnd, String name, GgmlType type, int cols, int rows) {
        put(t, arena, rnd, name + ".weight", type, cols, rows, (float) (1 / Math.sqrt(cols)));
        put(t, arena, rnd, name + ".bias", GgmlType.F32, rows, 1, 0.1f);
    }

    /** Values uniform in ±scale, around 1 for scale 0 (norm weights); quantized types stay zero. */
    private static void put(Map<String, Tensor> t, Arena arena, Random rnd, String name, GgmlType type,
                            int cols, int rows, float scale) {
        MemorySegment data = arena.allocate(type.rowBytes(cols) * rows, 64);
        if (type == GgmlType.F32) {
            for (long i = 0; i < (long) cols * rows; i++) {
                float v = scale == 0 ? 1 + (rnd.nextFloat() - 0.5f) * 0.2f : (rnd.nextFloat() * 2 - 1) * scale;
                data.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
            }
        }
        long[] shape = rows == 1 && !name.endsWith(".weight") ? new long[] {cols} : new long[] {cols, rows};
        t.put(name, new Tensor(name, type, shape, data));
    }
}
