package io.isthmus.runtime.model;

/**
 * What a generation loop needs from a model: fresh KV caches and forward passes. One rank's
 * {@link Transformer} is one; the driver of a tensor-parallel group is another (it tells the
 * followers each step, then runs its own shard), so the same loop drives both.
 */
public interface ForwardPass {

    ModelConfig config();

    /** A new, empty KV cache laid out as {@code shape}: one sequence, or beams sharing a prompt. */
    KvCache newCache(KvCacheType type, KvShape shape);

    /** A new, empty KV cache for one sequence of up to {@code capacity} tokens. */
    default KvCache newCache(KvCacheType type, int capacity) {
        return newCache(type, KvShape.single(capacity));
    }

    /**
     * Runs tokens[off .. off+m) of one sequence at positions startPos.. and writes logits: with
     * {@code allLogits} m rows of vocabSize into {@code logits}, otherwise the last token's row only.
     * On a beam-search cache this runs the shared prompt (positions below its shared count).
     */
    void forward(KvCache cache, int[] tokens, int off, int m, int startPos, float[] logits, boolean allLogits);

    /** Prompt tokens per {@link #forward} call that prefill should use: large enough for matrix-matrix speed. */
    default int prefillBatch() {
        return 64;
    }

    /** The most tokens one {@link #forward} call with {@code allLogits} takes. */
    default int maxAllLogitsTokens() {
        return Integer.MAX_VALUE;
    }

    /**
     * Runs every row of {@code batch} (one token each, of any sequences) in one pass — the weight
     * products become small matrix-matrix products — and writes one row of vocabSize logits per
     * batch row into {@code logits}.
     */
    void forwardBatch(DecodeBatch batch, float[] logits);

    /** The most rows one {@link #forwardBatch} takes. */
    default int maxBatchRows() {
        return Integer.MAX_VALUE;
    }

    /**
     * Says {@code cache} will not be used again, so ranks that keep their own copy may free it.
     * Caches of a single process are left to the garbage collector.
     */
    default void release(KvCache cache) {
    }
}
