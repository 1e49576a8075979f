package io.isthmus.runtime.format;

import io.isthmus.runtime.kernel.RopeStyle;
import io.isthmus.runtime.model.Activation;
import io.isthmus.runtime.model.Architecture;
import io.isthmus.runtime.model.ModelConfig;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.QkvLayout;
import io.isthmus.runtime.tensor.Tensor;

import java.util.HashMap;
import java.util.Map;

import static io.isthmus.runtime.format.CanonicalNames.*;

/** Builds a model from a llama2.c checkpoint, whose header lacks eps and theta: llama2.c hard-codes 1e-5 and 10000. */
final class Llama2cModels {
    private static final Map<String, String> LAYER_NAMES = Map.of(
            "rms_att_weight", ATTN_NORM, "wq", ATTN_Q, "wk", ATTN_K, "wv", ATTN_V, "wo", ATTN_OUTPUT,
            "rms_ffn_weight", FFN_NORM, "w1", FFN_GATE, "w2", FFN_DOWN, "w3", FFN_UP);

    private Llama2cModels() {
    }

    static ModelWeights weights(Llama2cCheckpoint ckpt) {
        Llama2cCheckpoint.Header h = ckpt.header();
        ModelConfig config = new ModelConfig(Architecture.LLAMA, h.dim(), h.hiddenDim(), h.layers(), h.heads(),
                h.kvHeads(), h.headDim(), h.vocabSize(), h.seqLen(), 1e-5f, h.headDim(), 10000.0, 1.0,
                RopeStyle.ADJACENT_PAIRS, false, QkvLayout.SEPARATE, Activation.SWIGLU);
        Map<String, Tensor> out = new HashMap<>();
        Map<String, Tensor> in = ckpt.tensors();
        put(out, in.get("token_embedding_table"), weight(TOKEN_EMBD));
        put(out, in.get("rms_final_weight"), weight(OUTPUT_NORM));
        if (in.containsKey("wcls")) {
            put(out, in.get("wcls"), weight(OUTPUT));
        }
        for (int l = 0; l < h.layers(); l++) {
            for (Map.Entry<String, String> e : LAYER_NAMES.entrySet()) {
                put(out, in.get("layers." + l + "." + e.getKey()), weight(blk(l, e.getValue())));
            }
        }
        return new ModelWeights(config, Map.copyOf(out), ckpt.path(), ckpt);
    }

    private static void put(Map<String, Tensor> out, Tensor t, String name) {
        out.put(name, renamed(t, name));
    }
}
