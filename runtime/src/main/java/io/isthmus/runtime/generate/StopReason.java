package io.isthmus.runtime.generate;

/** Why a generation ended. */
public enum StopReason {
    /** The model produced an end-of-generation token (not included in the output). */
    END_OF_GENERATION,
    /** The requested number of new tokens was reached. */
    MAX_TOKENS,
    /** The KV cache (context) is full. */
    CONTEXT_FULL,
    /** The caller cancelled. */
    CANCELLED
}
