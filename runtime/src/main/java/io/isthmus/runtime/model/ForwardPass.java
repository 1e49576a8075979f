package io.isthmus.runtime.model;

/**
 * What a generation loop needs from a model: fresh KV caches and forward passes. One rank's
 * {@link Transformer} is one; the driver of a tensor-parallel group is another (it tells the
 * followers each step, then runs its own shard), so the same loop drives both.
 */
public interface ForwardPass {

    ModelConfig config();

    /** A new, empty KV cache for one sequence of up to {@code capacity} tokens. */
    KvCache newCache(KvCacheType type, int capacity);

    /**
     * Runs tokens[off .. off+m) at positions startPos.. and writes logits: with {@code allLogits}
     * m rows of vocabSize into {@code logits}, otherwise the last token's row only.
     */
    void forward(KvCache cache, int[] tokens, int off, int m, int startPos, float[] logits, boolean allLogits);

    /** The most tokens one {@link #forward} call with {@code allLogits} takes. */
    default int maxAllLogitsTokens() {
        return Integer.MAX_VALUE;
    }
}
