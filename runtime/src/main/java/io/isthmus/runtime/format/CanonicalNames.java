package io.isthmus.runtime.format;

import io.isthmus.runtime.tensor.Tensor;

/** llama.cpp's canonical tensor names, which {@link io.isthmus.runtime.model.ModelWeights} uses for every source format. */
final class CanonicalNames {
    static final String TOKEN_EMBD = "token_embd";
    static final String OUTPUT_NORM = "output_norm";
    static final String OUTPUT = "output";
    static final String ATTN_NORM = "attn_norm";
    static final String ATTN_Q = "attn_q";
    static final String ATTN_K = "attn_k";
    static final String ATTN_V = "attn_v";
    static final String ATTN_QKV = "attn_qkv";
    static final String ATTN_OUTPUT = "attn_output";
    static final String FFN_NORM = "ffn_norm";
    static final String FFN_GATE = "ffn_gate";
    static final String FFN_UP = "ffn_up";
    static final String FFN_DOWN = "ffn_down";

    private CanonicalNames() {
    }

    /** The weight of a whole-model module, e.g. {@code token_embd.weight}. */
    static String weight(String module) {
        return module + ".weight";
    }

    static String bias(String module) {
        return module + ".bias";
    }

    /** A module of layer {@code layer}, e.g. {@code blk.3.attn_q}. */
    static String blk(int layer, String module) {
        return "blk." + layer + "." + module;
    }

    /** The same data under its canonical name (no copy). */
    static Tensor renamed(Tensor t, String name) {
        return new Tensor(name, t.type(), t.shape(), t.data());
    }
}
