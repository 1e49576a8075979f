package io.isthmus.runtime.format;

import io.isthmus.runtime.kernel.RopeStyle;
import io.isthmus.runtime.model.Activation;
import io.isthmus.runtime.model.Architecture;
import io.isthmus.runtime.model.ModelConfig;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.QkvLayout;

import java.util.Map;

/** Builds a model from a Hugging Face folder: config.json's hyper-parameters and the renamed safetensors. */
final class HuggingFaceModels {
    private HuggingFaceModels() {
    }

    static ModelWeights weights(HuggingFaceFolder folder) {
        JsonConfig c = folder.config();
        String arch = c.firstString("architectures");
        ModelConfig config = switch (arch) {
            case "LlamaForCausalLM", "Qwen2ForCausalLM" -> llama(c);
            case "GPTNeoXForCausalLM" -> gptNeox(c);
            default -> throw new ModelFormatException(c.path() + ": unsupported architecture '" + arch
                    + "' (supported: LlamaForCausalLM, Qwen2ForCausalLM, GPTNeoXForCausalLM)");
        };
        HfTensorNames names = config.architecture() == Architecture.GPT_NEOX ? HfTensorNames.GPT_NEOX : HfTensorNames.LLAMA;
        boolean tied = c.boolOr("tie_word_embeddings", false) || !folder.has(names.global().get(CanonicalNames.OUTPUT) + ".weight");
        return new ModelWeights(config, Map.copyOf(names.collect(folder, config.layers(), tied)), folder.dir(), folder);
    }

    /**
     * Llama and Qwen2. HF keeps Q/K rows in the original (NeoX, rotate-half) order, which llama.cpp's
     * converter permutes for adjacent pairs; rotating half-split pairs here gives the same result with no copy.
     */
    private static ModelConfig llama(JsonConfig c) {
        String act = c.stringOr("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new ModelFormatException(c.path() + ": unsupported hidden_act '" + act + "' for a Llama model (supported: silu)");
        }
        int dim = c.requireInt("hidden_size");
        int heads = c.requireInt("num_attention_heads");
        int headDim = c.intOr("head_dim", dim / heads);
        return new ModelConfig(Architecture.LLAMA, dim, c.requireInt("intermediate_size"),
                c.requireInt("num_hidden_layers"), heads, c.intOr("num_key_value_heads", heads), headDim,
                c.requireInt("vocab_size"), c.requireInt("max_position_embeddings"), (float) c.requireDouble("rms_norm_eps"),
                headDim, ropeTheta(c, "rope_theta"), ropeFreqScale(c), RopeStyle.HALF_SPLIT, false,
                QkvLayout.SEPARATE, Activation.SWIGLU);
    }

    private static ModelConfig gptNeox(JsonConfig c) {
        int dim = c.requireInt("hidden_size");
        int heads = c.requireInt("num_attention_heads");
        int headDim = dim / heads;
        // transformers 5 moved rotary_pct into rope_parameters; older configs (and HF's default, 0.25) use the legacy key.
        JsonConfig rope = c.object("rope_parameters");
        double pct = rope != null && rope.has("partial_rotary_factor") ? rope.doubleOr("partial_rotary_factor", 0)
                : c.doubleOr("rotary_pct", 0.25);
        String act = c.stringOr("hidden_act", "gelu");
        Activation activation = switch (act) {
            case "gelu" -> Activation.GELU_ERF;
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> Activation.GELU_TANH;
            default -> throw new ModelFormatException(c.path() + ": unsupported hidden_act '" + act
                    + "' for GPT-NeoX (supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast)");
        };
        return new ModelConfig(Architecture.GPT_NEOX, dim, c.requireInt("intermediate_size"),
                c.requireInt("num_hidden_layers"), heads, heads, headDim, c.requireInt("vocab_size"),
                c.requireInt("max_position_embeddings"), (float) c.requireDouble("layer_norm_eps"),
                (int) Math.round(headDim * pct), ropeTheta(c, "rotary_emb_base"), ropeFreqScale(c), RopeStyle.HALF_SPLIT,
                c.boolOr("use_parallel_residual", true), QkvLayout.FUSED_PER_HEAD, activation);
    }

    /** {@code rope_parameters.rope_theta} (transformers 5), else the top-level {@code legacyKey}, else 10000. */
    private static double ropeTheta(JsonConfig c, String legacyKey) {
        JsonConfig rope = c.object("rope_parameters");
        if (rope != null && rope.has("rope_theta")) {
            return rope.doubleOr("rope_theta", 0);
        }
        return c.doubleOr(legacyKey, c.doubleOr("rope_theta", 10000.0));
    }

    /** From {@code rope_scaling} (transformers 4) or {@code rope_parameters} (5), keyed "rope_type" or "type". */
    private static double ropeFreqScale(JsonConfig c) {
        JsonConfig s = c.object("rope_scaling");
        String key = "rope_scaling";
        if (s == null) {
            s = c.object("rope_parameters");
            key = "rope_parameters";
        }
        if (s == null) {
            return 1.0;
        }
        String type = s.stringOr("rope_type", s.stringOr("type", null));
        return RopeScaling.freqScale(type, s.doubleOr("factor", 0), c.path(), key + ".rope_type");
    }
}
