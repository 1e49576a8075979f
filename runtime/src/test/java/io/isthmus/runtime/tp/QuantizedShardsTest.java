package io.isthmus.runtime.tp;

import io.isthmus.numa.CpuSet;
import io.isthmus.runtime.format.ModelLoader;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.model.KvCache;
import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.Transformer;
import io.isthmus.runtime.testing.SharedFiles;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Quantized shards of prose-llama-35m (block-aligned column copies of Q8_0, Q4_0, Q4_K and Q6_K;
 * the ranks' Q8_0 matrices repacked as workers load them, one rank's left in GGUF's layout):
 * the first step's logits on 2 ranks match one rank's up to summation order, and a split that
 * would cut a 256-element K-quant block is refused naming the tensor.
 */
class QuantizedShardsTest {
    private static final int[] PROMPT = {1, 9038, 2501, 263, 931}; // "Once upon a time"

    @ParameterizedTest
    @CsvSource({"prose-llama-35m-q8_0.gguf", "prose-llama-35m-q4_0.gguf", "prose-llama-35m-q4_k_m.gguf"})
    void twoRanksGiveOneRanksLogits(String file) throws Exception {
        try (ModelWeights m = ModelLoader.load(SharedFiles.require("models/prose-llama-35m/" + file))) {
            int vocab = m.config().vocabSize();
            float[] want = new float[vocab];
            try (ComputePool pool = new ComputePool(CpuSet.of(0), false)) {
                Transformer t = new Transformer(m, pool);
                KvCache cache = t.newCache(KvCacheType.F32, PROMPT.length);
                t.forward(cache, PROMPT, 0, PROMPT.length, 0, want, false);
            }
            float[] got = new float[vocab];
            try (RankGroup g = new RankGroup(m, 2, ShardPlanner.DEFAULT_GRAIN)) {
                g.generate(PROMPT, 1, got);
            }
            for (int i = 0; i < vocab; i++) {
                assertEquals(want[i], got[i], 2e-3f * Math.max(1, Math.abs(want[i])), file + ": logit " + i);
            }
            assertEquals(RankGroup.argmax(want), RankGroup.argmax(got));
        }
    }

    @Test
    void fourRanksWouldCutAKQuantBlock() throws Exception {
        try (ModelWeights m = ModelLoader.load(SharedFiles.require("models/prose-llama-35m/prose-llama-35m-q4_k_m.gguf"))) {
            ShardingException e = assertThrows(ShardingException.class, () -> ShardPlanner.plan(m, 4));
            assertTrue(e.getMessage().matches("(?s).*'blk\\.0\\.attn_output\\.weight' of format q[46]_k.*blocks of 256 columns.*"),
                    e.getMessage());
        }
    }
}
