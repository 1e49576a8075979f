package io.isthmus.runtime.format;

import io.isthmus.runtime.kernel.RopeStyle;
import io.isthmus.runtime.model.Activation;
import io.isthmus.runtime.model.Architecture;
import io.isthmus.runtime.model.ModelConfig;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.QkvLayout;

/**
 * Builds a model from a GGUF file written by llama.cpp's converter. Its tensors already carry the
 * canonical names; only the hyper-parameters are read here, under the architecture's key prefix.
 */
final class GgufModels {
    private GgufModels() {
    }

    static ModelWeights weights(GgufFile f) {
        String arch = f.getString("general.architecture");
        ModelConfig config = switch (arch) {
            // The converter permutes Llama's Q/K rows for adjacent-pair RoPE; Qwen2 is left in NeoX order.
            case "llama" -> llama(f, arch, RopeStyle.ADJACENT_PAIRS);
            case "qwen2" -> llama(f, arch, RopeStyle.HALF_SPLIT);
            case "gptneox" -> gptNeox(f);
            default -> throw new ModelFormatException(f.path() + ": unsupported architecture '" + arch
                    + "' (general.architecture; supported: llama, qwen2, gptneox)");
        };
        return new ModelWeights(config, f.tensors(), f.path(), f);
    }

    private static ModelConfig llama(GgufFile f, String p, RopeStyle style) {
        Common c = common(f, p);
        return new ModelConfig(Architecture.LLAMA, c.dim, c.ffnDim, c.layers, c.heads,
                integer(f, p + ".attention.head_count_kv", c.heads), c.headDim, c.vocab, c.context,
                (float) real(f, p + ".attention.layer_norm_rms_epsilon"),
                c.ropeDims, c.ropeTheta, c.ropeFreqScale, style, false, QkvLayout.SEPARATE, Activation.SWIGLU);
    }

    private static ModelConfig gptNeox(GgufFile f) {
        Common c = common(f, "gptneox");
        // llama.cpp evaluates GPT-NeoX's GELU with the tanh approximation.
        return new ModelConfig(Architecture.GPT_NEOX, c.dim, c.ffnDim, c.layers, c.heads, c.heads, c.headDim,
                c.vocab, c.context, (float) real(f, "gptneox.attention.layer_norm_epsilon"),
                c.ropeDims, c.ropeTheta, c.ropeFreqScale, RopeStyle.HALF_SPLIT,
                f.getBoolean("gptneox.use_parallel_residual", true), QkvLayout.FUSED_BLOCKED, Activation.GELU_TANH);
    }

    private record Common(int dim, int ffnDim, int layers, int heads, int headDim, int vocab, int context,
                          int ropeDims, double ropeTheta, double ropeFreqScale) {}

    private static Common common(GgufFile f, String p) {
        int dim = integer(f, p + ".embedding_length");
        int heads = integer(f, p + ".attention.head_count");
        int headDim = integer(f, p + ".attention.key_length", dim / heads);
        double freqScale = RopeScaling.freqScale(f.getString(p + ".rope.scaling.type", null),
                f.getDouble(p + ".rope.scaling.factor", 0), f.path(), p + ".rope.scaling.type");
        return new Common(dim, integer(f, p + ".feed_forward_length"), integer(f, p + ".block_count"), heads,
                headDim, f.tensor(CanonicalNames.weight(CanonicalNames.TOKEN_EMBD)).rows(),
                integer(f, p + ".context_length"), integer(f, p + ".rope.dimension_count", headDim),
                f.getDouble(p + ".rope.freq_base", 10000.0), freqScale);
    }

    private static int integer(GgufFile f, String key) {
        return Math.toIntExact(f.getLong(key));
    }

    private static double real(GgufFile f, String key) {
        if (!f.has(key)) {
            throw new ModelFormatException(f.path() + ": missing metadata key '" + key + "'");
        }
        return f.getDouble(key, 0);
    }

    private static int integer(GgufFile f, String key, int fallback) {
        return f.has(key) ? integer(f, key) : fallback;
    }
}
