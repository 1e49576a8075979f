package io.isthmus.runtime.tp;

import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.model.LocalDims;
import io.isthmus.runtime.model.ModelConfig;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.QkvLayout;
import io.isthmus.runtime.tensor.Tensor;
import io.isthmus.runtime.tp.TensorShard.Split;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * AutoTP (DESIGN.md §2) over a model's canonical tensors:
 * <ul>
 * <li>Q, K, V (or fused QKV in either layout), gate and up: column-parallel, split by output rows —
 *     by heads for attention, by feed-forward rows for the MLP; their biases split alike.</li>
 * <li>attn_output and ffn_down: row-parallel, split by input columns (copied: the slices are
 *     strided); their biases are added by rank 0 only, so the allreduce adds them once.</li>
 * <li>Norms and the token embedding: replicated. The output projection (or the tied embedding):
 *     vocab-parallel by rows, uneven where the vocabulary does not divide; the logits are
 *     all-gathered padded to the largest share.</li>
 * <li>Query heads must split evenly. KV heads split with them when the world size divides their
 *     count; otherwise each rank computes the KV heads its query heads read (a KV head shared by
 *     two ranks is computed on both — replication limited to what is read).</li>
 * <li>Feed-forward rows split unevenly in multiples of a grain (DeepSpeed's tp_grain_size), halved
 *     while some rank would get nothing, never below ffn_down's quantization block.</li>
 * </ul>
 * A split that breaks a quantization block, or that cannot be made, is an error naming the tensor.
 */
public final class ShardPlanner {
    /** DeepSpeed's default tp_grain_size. */
    public static final int DEFAULT_GRAIN = 64;

    private final ModelWeights w;
    private final ModelConfig c;
    private final int n;
    private final int grain;

    private ShardPlanner(ModelWeights w, int worldSize, int grain) {
        if (worldSize < 1) {
            throw new IllegalArgumentException("world size " + worldSize + " must be at least 1");
        }
        if (grain < 1) {
            throw new IllegalArgumentException("grain " + grain + " must be at least 1");
        }
        this.w = w;
        this.c = w.config();
        this.n = worldSize;
        this.grain = grain;
    }

    public static ShardPlan plan(ModelWeights weights, int worldSize) {
        return plan(weights, worldSize, DEFAULT_GRAIN);
    }

    public static ShardPlan plan(ModelWeights weights, int worldSize, int grain) {
        return new ShardPlanner(weights, worldSize, grain).plan();
    }

    private ShardPlan plan() {
        String qName = c.qkvLayout() == QkvLayout.SEPARATE ? "blk.0.attn_q.weight" : "blk.0.attn_qkv.weight";
        if (c.heads() % n != 0) {
            throw new ShardingException(w.source() + ": tensor '" + qName + "': " + c.heads()
                    + " query heads cannot be split evenly over " + n + " ranks");
        }
        int[] ffn = split(c.ffnDim(), ffnAlignment(), "blk.0.ffn_down.weight (feed-forward dimension)");
        int[] vocab = evenSplit(c.vocabSize(), outputName());
        List<ShardPlan.Rank> ranks = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            ranks.add(rank(r, ffn, vocab));
        }
        return new ShardPlan(n, ranks);
    }

    private ShardPlan.Rank rank(int r, int[] ffn, int[] vocab) {
        int heads = c.heads() / n;
        int firstHead = r * heads;
        int firstKv;
        int kvHeads;
        if (c.kvHeads() % n == 0) {
            kvHeads = c.kvHeads() / n;
            firstKv = r * kvHeads;
        } else {
            int group = c.heads() / c.kvHeads();
            firstKv = firstHead / group;
            kvHeads = (firstHead + heads - 1) / group - firstKv + 1;
        }
        LocalDims dims = new LocalDims(r, firstHead, heads, firstKv, kvHeads, ffn[r + 1] - ffn[r], vocab);
        List<TensorShard> out = new ArrayList<>();
        Set<String> done = new HashSet<>();
        int hd = c.headDim();
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            switch (c.qkvLayout()) {
                case SEPARATE -> {
                    rows(out, done, p + "attn_q", p + "attn_q", firstHead * hd, heads * hd);
                    rows(out, done, p + "attn_k", p + "attn_k", firstKv * hd, kvHeads * hd);
                    rows(out, done, p + "attn_v", p + "attn_v", firstKv * hd, kvHeads * hd);
                }
                case FUSED_BLOCKED -> { // [all q | all k | all v]: three row ranges, kept as three tensors
                    String qkv = p + "attn_qkv";
                    rows(out, done, qkv, p + "attn_q", firstHead * hd, heads * hd);
                    rows(out, done, qkv, p + "attn_k", c.qDim() + firstKv * hd, kvHeads * hd);
                    rows(out, done, qkv, p + "attn_v", c.qDim() + c.kvDim() + firstKv * hd, kvHeads * hd);
                }
                case FUSED_PER_HEAD -> // [q_h | k_h | v_h] per head (no GQA): this rank's heads are contiguous
                        rows(out, done, p + "attn_qkv", p + "attn_qkv", firstHead * 3 * hd, heads * 3 * hd);
            }
            columns(out, done, r, p + "attn_output", firstHead * hd, heads * hd);
            rows(out, done, p + "ffn_gate", p + "ffn_gate", ffn[r], dims.ffnDim());
            rows(out, done, p + "ffn_up", p + "ffn_up", ffn[r], dims.ffnDim());
            columns(out, done, r, p + "ffn_down", ffn[r], dims.ffnDim());
        }
        String lmHead = outputName();
        WeightMatrix lm = w.matrix(lmHead);
        out.add(new TensorShard(lmHead, "output.weight", Split.ROWS, vocab[r], dims.vocabRows(),
                lm.byteSize() / lm.rows() * dims.vocabRows()));
        done.add("output.weight");
        for (var e : w.tensors().entrySet()) { // norms, embedding, anything else the forward pass may read
            if (done.add(e.getKey())) {
                out.add(new TensorShard(e.getKey(), e.getKey(), Split.WHOLE, 0, 0, e.getValue().byteSize()));
            }
        }
        for (var e : w.packed().entrySet()) {
            if (done.add(e.getKey())) {
                out.add(new TensorShard(e.getKey(), e.getKey(), Split.WHOLE, 0, 0, e.getValue().byteSize()));
            }
        }
        return new ShardPlan.Rank(dims, out);
    }

    /** Output rows of {@code source}.weight (and the matching elements of its bias), when the model has it. */
    private void rows(List<TensorShard> out, Set<String> done, String source, String target, int from, int count) {
        WeightMatrix t = w.optionalMatrix(source + ".weight");
        if (t == null) {
            return; // e.g. ffn_gate of a GELU model
        }
        out.add(new TensorShard(source + ".weight", target + ".weight", Split.ROWS, from, count,
                t.byteSize() / t.rows() * count));
        done.add(source + ".weight");
        Tensor bias = w.optional(source + ".bias");
        if (bias != null) {
            if (bias.type().isQuantized() || bias.rows() != 1) {
                throw new ShardingException(w.source() + ": tensor '" + bias.name() + "' of type " + bias.type()
                        + " and shape " + java.util.Arrays.toString(bias.shape()) + " cannot be split as a bias vector");
            }
            out.add(new TensorShard(source + ".bias", target + ".bias", Split.ELEMENTS, from, count,
                    bias.type().rowBytes(count)));
            done.add(source + ".bias");
        }
    }

    /** Input columns of {@code name}.weight, block-aligned; its bias on rank 0 only. */
    private void columns(List<TensorShard> out, Set<String> done, int r, String name, int from, int count) {
        WeightMatrix t = w.matrix(name + ".weight");
        int block = t.columnGrain();
        if (from % block != 0 || (count % block != 0 && from + count != t.cols())) {
            throw new ShardingException(w.source() + ": tensor '" + t.name() + "' of format " + t.format()
                    + " cannot be split by input columns over " + n + " ranks: rank " + r + "'s columns [" + from
                    + ", " + (from + count) + ") break its quantization blocks of " + block + " columns");
        }
        out.add(new TensorShard(t.name(), t.name(), Split.COLUMNS, from, count,
                t.byteSize() / t.cols() * count));
        done.add(t.name());
        if (w.optional(name + ".bias") != null) {
            done.add(name + ".bias");
            if (r == 0) { // added once, before the allreduce
                out.add(new TensorShard(name + ".bias", name + ".bias", Split.WHOLE, 0, 0,
                        w.tensor(name + ".bias").byteSize()));
            }
        }
    }

    private int ffnAlignment() {
        int align = 1;
        for (int l = 0; l < c.layers(); l++) {
            align = Math.max(align, w.matrix("blk." + l + ".ffn_down.weight").columnGrain()); // 1, 32, 64, 128, 256 divide each other
        }
        return align;
    }

    private String outputName() {
        return w.has("output.weight") ? "output.weight" : "token_embd.weight";
    }

    /** Bounds (n + 1) of an even split, the first ranks taking one more where it does not divide. */
    private int[] evenSplit(int total, String what) {
        if (total < n) {
            throw new ShardingException(w.source() + ": tensor '" + what + "': " + total + " rows cannot give each of "
                    + n + " ranks a share");
        }
        int[] b = new int[n + 1];
        for (int r = 0; r < n; r++) {
            b[r + 1] = b[r] + total / n + (r < total % n ? 1 : 0);
        }
        return b;
    }

    /**
     * Bounds (n + 1) of a split of {@code total} into shares that are multiples of a grain (the
     * last share takes the remainder): boundaries are r·total/n rounded to the grain, and the grain
     * is halved, not below {@code align}, while that would leave a rank without a share.
     */
    int[] split(int total, int align, String what) {
        if (total % align != 0) {
            throw new ShardingException(w.source() + ": " + what + ": " + total
                    + " is not a multiple of the quantization block of " + align);
        }
        int g = Math.max(align, grain / align * align);
        while (true) {
            int[] b = new int[n + 1];
            boolean ok = true;
            for (int r = 1; r <= n; r++) {
                b[r] = r == n ? total : (int) Math.round((double) r * total / n / g) * g;
                ok &= b[r] > b[r - 1];
            }
            if (ok) {
                return b;
            }
            if (g == align) {
                throw new ShardingException(w.source() + ": " + what + ": " + total + " in blocks of " + align
                        + " cannot give each of " + n + " ranks a share");
            }
            g = Math.max(align, g / 2 / align * align);
        }
    }
}
