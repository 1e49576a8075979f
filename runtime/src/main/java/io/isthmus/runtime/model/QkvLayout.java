package io.isthmus.runtime.model;

/** How a layer's query, key and value projections are stored. */
public enum QkvLayout {
    /** Three tensors: attn_q, attn_k, attn_v. */
    SEPARATE,
    /** One attn_qkv tensor whose rows are [all q | all k | all v] (llama.cpp's GPT-NeoX layout). */
    FUSED_BLOCKED,
    /** One attn_qkv tensor whose rows are per head [q_h | k_h | v_h] (Hugging Face GPT-NeoX layout). */
    FUSED_PER_HEAD
}
