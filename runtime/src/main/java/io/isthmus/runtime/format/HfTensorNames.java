package io.isthmus.runtime.format;

import io.isthmus.runtime.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

import static io.isthmus.runtime.format.CanonicalNames.*;

/**
 * How one Hugging Face architecture names its modules, as canonical module → HF module. Both the
 * {@code .weight} and an optional {@code .bias} of each module are taken; HF tensors that no module
 * names (e.g. GPT-NeoX's attention mask buffers or rotary inv_freq) are never read.
 */
record HfTensorNames(Map<String, String> global, String layerPrefix, Map<String, String> perLayer) {

    static final HfTensorNames LLAMA = new HfTensorNames(
            Map.of(TOKEN_EMBD, "model.embed_tokens", OUTPUT_NORM, "model.norm", OUTPUT, "lm_head"),
            "model.layers.",
            Map.of(ATTN_NORM, "input_layernorm",
                    ATTN_Q, "self_attn.q_proj", ATTN_K, "self_attn.k_proj", ATTN_V, "self_attn.v_proj",
                    ATTN_OUTPUT, "self_attn.o_proj",
                    FFN_NORM, "post_attention_layernorm",
                    FFN_GATE, "mlp.gate_proj", FFN_UP, "mlp.up_proj", FFN_DOWN, "mlp.down_proj"));

    static final HfTensorNames GPT_NEOX = new HfTensorNames(
            Map.of(TOKEN_EMBD, "gpt_neox.embed_in", OUTPUT_NORM, "gpt_neox.final_layer_norm", OUTPUT, "embed_out"),
            "gpt_neox.layers.",
            Map.of(ATTN_NORM, "input_layernorm",
                    ATTN_QKV, "attention.query_key_value",
                    ATTN_OUTPUT, "attention.dense",
                    FFN_NORM, "post_attention_layernorm",
                    FFN_UP, "mlp.dense_h_to_4h", FFN_DOWN, "mlp.dense_4h_to_h"));

    /** The folder's tensors under canonical names; {@code tied} leaves out the output projection. */
    Map<String, Tensor> collect(HuggingFaceFolder folder, int layers, boolean tied) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        global.forEach((canonical, hf) -> {
            if (!(tied && canonical.equals(OUTPUT))) {
                take(folder, hf, canonical, out);
            }
        });
        for (int l = 0; l < layers; l++) {
            for (Map.Entry<String, String> e : perLayer.entrySet()) {
                take(folder, layerPrefix + l + "." + e.getValue(), blk(l, e.getKey()), out);
            }
        }
        return out;
    }

    private static void take(HuggingFaceFolder folder, String hf, String canonical, Map<String, Tensor> out) {
        for (String suffix : new String[]{".weight", ".bias"}) {
            if (folder.has(hf + suffix)) {
                out.put(canonical + suffix, renamed(folder.tensor(hf + suffix), canonical + suffix));
            }
        }
    }
}
