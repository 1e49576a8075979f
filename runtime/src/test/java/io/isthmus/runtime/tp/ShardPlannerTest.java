package io.isthmus.runtime.tp;

import io.isthmus.runtime.format.ModelLoader;
import io.isthmus.runtime.model.LocalDims;
import io.isthmus.runtime.model.ModelConfig;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import io.isthmus.runtime.testing.SharedFiles;
import io.isthmus.runtime.tp.TensorShard.Split;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ShardPlannerTest {

    private static int[] ffnShares(ShardPlan p) {
        return p.ranks().stream().mapToInt(r -> r.dims().ffnDim()).toArray();
    }

    @Test
    void splitsHeadsKvHeadsFfnAndVocabOfAGqaModel() {
        try (ModelWeights m = SyntheticModel.build(SyntheticModel.llama(64, 256, 8, 4, 1000), GgmlType.F32, 1)) {
            ShardPlan p = ShardPlanner.plan(m, 4);
            for (int r = 0; r < 4; r++) {
                ShardPlan.Rank rank = p.rank(r);
                LocalDims d = rank.dims();
                assertEquals(new LocalDims(r, 2 * r, 2, r, 1, 64, new int[] {0, 250, 500, 750, 1000}), d);
                assertEquals(new TensorShard("blk.1.attn_q.weight", "blk.1.attn_q.weight", Split.ROWS, 16 * r, 16,
                        16 * 64 * 4), rank.tensor("blk.1.attn_q.weight"));
                assertEquals(new TensorShard("blk.0.attn_k.bias", "blk.0.attn_k.bias", Split.ELEMENTS, 8 * r, 8, 8 * 4),
                        rank.tensor("blk.0.attn_k.bias"));
                assertEquals(new TensorShard("blk.0.attn_output.weight", "blk.0.attn_output.weight", Split.COLUMNS,
                        16 * r, 16, 16 * 64 * 4), rank.tensor("blk.0.attn_output.weight"));
                assertEquals(Split.COLUMNS, rank.tensor("blk.0.ffn_down.weight").split());
                assertEquals(64 * r, rank.tensor("blk.0.ffn_down.weight").from());
                // tied embedding: replicated for the lookup, its rows shared out as the vocab-parallel output
                assertEquals(Split.WHOLE, rank.tensor("token_embd.weight").split());
                assertEquals(new TensorShard("token_embd.weight", "output.weight", Split.ROWS, 250 * r, 250,
                        250L * 64 * 4), rank.tensor("output.weight"));
                assertEquals(Split.WHOLE, rank.tensor("blk.0.attn_norm.weight").split());
                // row-parallel biases: rank 0 adds them once
                assertEquals(r == 0, rank.tensor("blk.0.attn_output.bias") != null);
                assertEquals(r == 0, rank.tensor("blk.1.ffn_down.bias") != null);
            }
            assertTrue(p.rank(1).copiedBytes() > 0 && p.rank(1).mappedBytes() > p.rank(1).copiedBytes());
            assertTrue(p.describe().contains("rank 3: heads 2 (from 6), kv heads 1 (from 3), ffn 64, vocab 250"),
                    p.describe());
        }
    }

    @Test
    void kvHeadsThatDoNotSplitAreComputedByEveryRankThatReadsThem() {
        // 6 query heads in 2 groups of 3 over 3 ranks: rank 1 (heads 2, 3) reads both KV heads
        try (ModelWeights m = SyntheticModel.build(SyntheticModel.llama(48, 96, 6, 2, 90), GgmlType.F32, 1)) {
            ShardPlan p = ShardPlanner.plan(m, 3);
            ModelConfig c = m.config();
            LocalDims d0 = p.rank(0).dims(), d1 = p.rank(1).dims(), d2 = p.rank(2).dims();
            assertEquals(0, d0.firstKvHead());
            assertEquals(1, d0.kvHeads());
            assertEquals(0, d1.firstKvHead());
            assertEquals(2, d1.kvHeads());
            assertEquals(1, d2.firstKvHead());
            assertEquals(1, d2.kvHeads());
            assertEquals(0, d1.kvHeadOf(0, c)); // global head 2 → KV head 0
            assertEquals(1, d1.kvHeadOf(1, c)); // global head 3 → KV head 1
            assertEquals(0, d2.kvHeadOf(1, c)); // global head 5 → KV head 1, the rank's first
            assertEquals(new TensorShard("blk.0.attn_k.weight", "blk.0.attn_k.weight", Split.ROWS, 0, 16, 16 * 48 * 4),
                    p.rank(1).tensor("blk.0.attn_k.weight"));
        }
    }

    @Test
    void headsThatDoNotSplitEvenlyAreRefusedNamingTheTensor() {
        try (ModelWeights m = SyntheticModel.build(SyntheticModel.llama(64, 256, 8, 4, 1000), GgmlType.F32, 1)) {
            ShardingException e = assertThrows(ShardingException.class, () -> ShardPlanner.plan(m, 3));
            assertTrue(e.getMessage().contains("'blk.0.attn_q.weight'") && e.getMessage().contains("8 query heads"),
                    e.getMessage());
        }
    }

    @Test
    void ffnRowsSplitUnevenlyInMultiplesOfTheGrain() {
        try (ModelWeights m = SyntheticModel.build(SyntheticModel.llama(64, 172, 8, 4, 512), GgmlType.F32, 1)) {
            assertArrayEquals(new int[] {64, 108}, ffnShares(ShardPlanner.plan(m, 2)));
            // 64 would leave a rank empty: the grain halves to 32, the last rank takes the remainder
            assertArrayEquals(new int[] {32, 64, 32, 44}, ffnShares(ShardPlanner.plan(m, 4)));
            assertArrayEquals(new int[] {43, 43, 43, 43}, ffnShares(ShardPlanner.plan(m, 4, 1)));
            assertArrayEquals(new int[] {16, 32, 16, 16, 32, 16, 16, 28}, ffnShares(ShardPlanner.plan(m, 8)));
        }
    }

    @Test
    void aColumnSplitThatBreaksAQ8_0BlockIsAnErrorNamingTheTensor() {
        // 4 heads of 16: each rank's attn_output columns are half a 32-element block
        try (ModelWeights m = SyntheticModel.build(SyntheticModel.llama(64, 256, 4, 4, 100), GgmlType.Q8_0, 1)) {
            assertDoesNotThrow(() -> ShardPlanner.plan(m, 2)); // 32 columns each: whole blocks
            ShardingException e = assertThrows(ShardingException.class, () -> ShardPlanner.plan(m, 4));
            assertTrue(e.getMessage().contains("'blk.0.attn_output.weight' of format q8_0"), e.getMessage());
            assertTrue(e.getMessage().contains("[0, 16)") && e.getMessage().contains("blocks of 32"), e.getMessage());
        }
    }

    @Test
    void ffnDownInQ4_0KeepsWholeBlocksOrRefuses() {
        try (ModelWeights m = SyntheticModel.build(SyntheticModel.llama(64, 96, 2, 2, 100), GgmlType.Q4_0, 1)) {
            int[] shares = ffnShares(ShardPlanner.plan(m, 2, 1)); // a grain of 1 still keeps Q4_0's 32-blocks
            assertArrayEquals(new int[] {64, 32}, shares);
            ShardPlan p = ShardPlanner.plan(m, 2);
            assertEquals(64, p.rank(1).tensor("blk.0.ffn_down.weight").from());
            assertEquals(32L / 32 * 18 * 64, p.rank(1).tensor("blk.0.ffn_down.weight").bytes());
        }
        try (ModelWeights m = SyntheticModel.build(SyntheticModel.llama(64, 64, 4, 4, 100), GgmlType.Q4_0, 1)) {
            ShardingException e = assertThrows(ShardingException.class, () -> ShardPlanner.plan(m, 4));
            // attn_output (16 columns per rank) or ffn_down (64 = 2 blocks for 4 ranks): either names its tensor
            assertTrue(e.getMessage().contains("ffn_down") || e.getMessage().contains("attn_output"), e.getMessage());
        }
        try (ModelWeights m = SyntheticModel.build(SyntheticModel.llama(128, 64, 4, 4, 100), GgmlType.Q4_0, 1)) {
            ShardingException e = assertThrows(ShardingException.class, () -> ShardPlanner.plan(m, 4));
            assertTrue(e.getMessage().contains("blk.0.ffn_down.weight") && e.getMessage().contains("blocks of 32"),
                    e.getMessage());
        }
    }

    @Test
    void shardLoaderViewsRowsAndCopiesColumns() {
        try (ModelWeights m = SyntheticModel.build(SyntheticModel.llama(64, 128, 4, 2, 100), GgmlType.F32, 7)) {
            ShardPlan p = ShardPlanner.plan(m, 2);
            try (ShardLoader.RankWeights r1 = ShardLoader.load(m, p, 1)) {
                Tensor q = r1.weights().tensor("blk.0.attn_q.weight");
                assertEquals(32, q.rows());
                assertEquals(64, q.cols());
                Tensor full = m.tensor("blk.0.attn_q.weight");
                assertEquals(full.data().address() + 32L * 64 * 4, q.data().address(), "a view, not a copy");
                Tensor o = r1.weights().tensor("blk.0.attn_output.weight");
                assertEquals(64, o.rows());
                assertEquals(32, o.cols());
                Tensor fo = m.tensor("blk.0.attn_output.weight");
                for (int row : new int[] {0, 5, 63}) {
                    for (int col : new int[] {0, 31}) {
                        assertEquals(fo.data().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, row * 64L + 32 + col),
                                o.data().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, row * 32L + col));
                    }
                }
                assertNull(r1.weights().optional("blk.0.attn_output.bias"));
                assertEquals(50, r1.weights().tensor("output.weight").rows());
            }
        }
    }

    @Test
    void plansTheSharedModels() throws Exception {
        try (ModelWeights m = ModelLoader.load(SharedFiles.require("models/stories260K/stories260K.gguf"))) {
            ShardPlan p = ShardPlanner.plan(m, 4);
            assertArrayEquals(new int[] {32, 64, 32, 44}, ffnShares(p), p.describe());
            assertEquals(1, p.rank(0).dims().kvHeads());
            ShardingException e = assertThrows(ShardingException.class, () -> ShardPlanner.plan(m, 3));
            assertTrue(e.getMessage().contains("stories260K.gguf"), e.getMessage());
        }
        try (ModelWeights m = ModelLoader.load(SharedFiles.require("models/prose-neox-9m/prose-neox-9m-f16.gguf"))) {
            ShardPlan p = ShardPlanner.plan(m, 2);
            ShardPlan.Rank r1 = p.rank(1);
            // GGUF's blocked attn_qkv becomes this rank's attn_q, attn_k and attn_v, biases included
            assertEquals("blk.0.attn_qkv.weight", r1.tensor("blk.0.attn_k.weight").source());
            assertEquals(256 + 128, r1.tensor("blk.0.attn_k.weight").from());
            assertEquals(512 + 128, r1.tensor("blk.0.attn_v.bias").from());
            assertNull(r1.tensor("blk.0.attn_qkv.weight"));
            assertEquals(512, r1.dims().ffnDim());
            System.out.println("prose-neox-9m over 2 ranks:\n" + p.describe());
        }
    }
}
