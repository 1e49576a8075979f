package io.isthmus.runtime.tp;

/**
 * How one rank obtains one of its tensors: {@code target} (a canonical name) is the part
 * {@code [from, from + count)} of {@code source} along the dimension that {@code split} names.
 * Source and target differ only where a fused tensor is split into its parts (GGUF's blocked
 * {@code attn_qkv} becomes {@code attn_q}, {@code attn_k}, {@code attn_v}) or the tied
 * {@code token_embd} serves as {@code output}.
 *
 * @param bytes what the rank's copy of this tensor takes (mapped or copied, as {@link Split#copied} says)
 */
public record TensorShard(String source, String target, Split split, int from, int count, long bytes) {

    public enum Split {
        /** The whole tensor (norms, embeddings, row-parallel biases on rank 0). */
        WHOLE,
        /** Output rows {@code [from, from + count)}: column-parallel and vocab-parallel, a zero-copy view. */
        ROWS,
        /** Input columns {@code [from, from + count)} of every row: row-parallel, strided, so copied once. */
        COLUMNS,
        /** Elements of a vector (a bias of a column-parallel projection), a zero-copy view. */
        ELEMENTS;

        public boolean copied() {
            return this == COLUMNS;
        }
    }
}
