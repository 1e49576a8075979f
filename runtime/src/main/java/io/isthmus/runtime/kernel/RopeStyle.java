package io.isthmus.runtime.kernel;

/** Which element pairs rotary position embedding rotates within a head. */
public enum RopeStyle {
    /** llama.cpp's "normal" rope (GGUF Llama, llama2.c): pairs (x[2i], x[2i+1]). */
    ADJACENT_PAIRS,
    /** NeoX / Hugging Face rotate_half: pairs (x[i], x[i + ropeDims/2]). */
    HALF_SPLIT
}
