package io.isthmus.runtime.model;

/** Transformer families Isthmus can run. */
public enum Architecture {
    /** Llama, Llama 2/3, Mistral-style and Qwen2-style (QKV bias) decoders: RMSNorm, RoPE, SwiGLU. */
    LLAMA,
    /** GPT-NeoX (and Pythia): LayerNorm with bias, partial rotary, GELU, optionally parallel residual. */
    GPT_NEOX
}
