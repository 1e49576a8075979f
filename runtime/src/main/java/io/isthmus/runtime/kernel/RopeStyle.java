package io.isthmus.runtime.kernel;

/** Which pairs of a head's dimensions RoPE rotates together. */
public enum RopeStyle {
    /** llama.cpp's "normal" mode (Meta's original Llama): (x[2i], x[2i+1]). */
    ADJACENT_PAIRS,
    /** GPT-NeoX / Hugging Face: (x[i], x[i + ropeDims/2]). */
    HALF_SPLIT
}
