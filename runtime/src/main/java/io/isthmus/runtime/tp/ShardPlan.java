package io.isthmus.runtime.tp;

import io.isthmus.runtime.model.LocalDims;

import java.util.List;

/**
 * The AutoTP split of one model over {@code worldSize} ranks: per rank its dimensions and the
 * tensors it maps or copies. Made by {@link ShardPlanner}, turned into weights by {@link ShardLoader}.
 */
public record ShardPlan(int worldSize, List<Rank> ranks) {

    public ShardPlan {
        ranks = List.copyOf(ranks);
    }

    public Rank rank(int r) {
        return ranks.get(r);
    }

    /** One rank's part. */
    public record Rank(LocalDims dims, List<TensorShard> tensors) {

        public Rank {
            tensors = List.copyOf(tensors);
        }

        /** Bytes the rank reads in place from the model file (whole tensors, row slices, vector slices). */
        public long mappedBytes() {
            return tensors.stream().filter(t -> !t.split().copied()).mapToLong(TensorShard::bytes).sum();
        }

        /** Bytes the rank copies into its own memory (row-parallel column slices). */
        public long copiedBytes() {
            return tensors.stream().filter(t -> t.split().copied()).mapToLong(TensorShard::bytes).sum();
        }

        public TensorShard tensor(String target) {
            for (TensorShard t : tensors) {
                if (t.target().equals(target)) {
                    return t;
                }
            }
            return null;
        }
    }

    /** One line per rank: dimensions and bytes, for {@code --dry-run}. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (Rank r : ranks) {
            LocalDims d = r.dims();
            b.append(String.format("rank %d: heads %d (from %d), kv heads %d (from %d), ffn %d, vocab %d;"
                            + " %.1f MiB mapped, %.1f MiB copied%n", d.rank(), d.heads(), d.firstHead(), d.kvHeads(),
                    d.firstKvHead(), d.ffnDim(), d.vocabRows(), r.mappedBytes() / 1048576.0, r.copiedBytes() / 1048576.0));
        }
        return b.toString();
    }
}
