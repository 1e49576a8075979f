package io.isthmus.runtime.model;

import java.util.Arrays;

/**
 * The part of the model one tensor-parallel rank computes: a contiguous range of query heads, the
 * KV heads those heads read, a share of the feed-forward rows and a range of the vocabulary
 * (logits). {@link #whole} is the single-rank case.
 *
 * <p>The KV heads are {@code [firstKvHead, firstKvHead + kvHeads)} of the model; when they are not
 * split evenly they overlap between ranks (a KV head read by query heads of two ranks is computed
 * on both), which is why query head h of this rank reads KV head
 * {@code (firstHead + h) / group - firstKvHead} with the model's group size, not a local one.
 *
 * @param vocabBounds rank r holds logits {@code [vocabBounds[r], vocabBounds[r + 1])}; its length
 *                    is worldSize + 1
 */
public record LocalDims(int rank, int firstHead, int heads, int firstKvHead, int kvHeads, int ffnDim,
                        int[] vocabBounds) {

    public LocalDims {
        vocabBounds = vocabBounds.clone();
        if (rank < 0 || rank >= vocabBounds.length - 1 || heads <= 0 || kvHeads <= 0 || ffnDim <= 0) {
            throw new IllegalArgumentException("invalid local dimensions: rank " + rank + " of " + (vocabBounds.length - 1)
                    + ", " + heads + " heads, " + kvHeads + " KV heads, ffn " + ffnDim);
        }
    }

    /** Everything, for one rank. */
    public static LocalDims whole(ModelConfig c) {
        return new LocalDims(0, 0, c.heads(), 0, c.kvHeads(), c.ffnDim(), new int[] {0, c.vocabSize()});
    }

    public int worldSize() {
        return vocabBounds.length - 1;
    }

    public int qDim(ModelConfig c) {
        return heads * c.headDim();
    }

    public int kvDim(ModelConfig c) {
        return kvHeads * c.headDim();
    }

    public int firstVocab() {
        return vocabBounds[rank];
    }

    /** Rows of the output projection (logits) this rank computes. */
    public int vocabRows() {
        return vocabRows(rank);
    }

    public int vocabRows(int r) {
        return vocabBounds[r + 1] - vocabBounds[r];
    }

    /** The largest share of any rank: every rank sends this many logits per token to the allgather. */
    public int vocabStride() {
        int max = 0;
        for (int r = 0; r < worldSize(); r++) {
            max = Math.max(max, vocabRows(r));
        }
        return max;
    }

    /** Index within this rank's KV heads of the KV head that local query head {@code h} reads. */
    public int kvHeadOf(int h, ModelConfig c) {
        return (firstHead + h) / (c.heads() / c.kvHeads()) - firstKvHead;
    }

    @Override
    public int[] vocabBounds() {
        return vocabBounds.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LocalDims d && rank == d.rank && firstHead == d.firstHead && heads == d.heads
                && firstKvHead == d.firstKvHead && kvHeads == d.kvHeads && ffnDim == d.ffnDim
                && Arrays.equals(vocabBounds, d.vocabBounds);
    }

    @Override
    public int hashCode() {
        return (((rank * 31 + firstHead) * 31 + heads) * 31 + ffnDim) * 31 + Arrays.hashCode(vocabBounds);
    }

    @Override
    public String toString() {
        return "LocalDims[rank " + rank + ", heads " + firstHead + "+" + heads + ", kv heads " + firstKvHead + "+"
                + kvHeads + ", ffn " + ffnDim + ", vocab " + Arrays.toString(vocabBounds) + "]";
    }
}
