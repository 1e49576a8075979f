package io.isthmus.runtime.tp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.numa.CpuSet;
import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.format.ModelLoader;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.Dequantize;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.model.KvCache;
import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.Transformer;
import io.isthmus.runtime.quant.PackedFormats;
import io.isthmus.runtime.tensor.Tensor;
import io.isthmus.runtime.testing.SharedFiles;

import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * prose-llama-35m with every layer matrix in lut3+sparse: the shard loader slices the codebooks
 * and their CSR outliers by rows (q, k, v, gate, up) and by columns (o, down: 256 and 768 columns a
 * rank, both ending in a padded block), and the first step's logits on 2 ranks match one rank's up
 * to summation order. (Slices of every format are checked value by value in the quant tests.)
 */
class LutSparseShardsTest {
    private static final int[] PROMPT = {1, 9038, 2501, 263, 931}; // "Once upon a time"

    @Test
    void twoRanksGiveOneRanksLogits() throws Exception {
        String spec = "lut3+sparse";
        FormatSpec format = FormatSpec.parse(spec);
        try (ModelWeights f16 = ModelLoader.load(SharedFiles.require("models/prose-llama-35m/prose-llama-35m-f16.gguf"));
             Arena arena = Arena.ofShared()) {
            Map<String, Tensor> plain = new LinkedHashMap<>();
            Map<String, WeightMatrix> packed = new LinkedHashMap<>();
            for (Tensor t : f16.tensors().values()) {
                if (t.name().startsWith("blk.") && t.shape().length == 2 && t.rows() > 1) {
                    packed.put(t.name(), PackedFormats.forSpec(format).quantize(t.name(), Dequantize.all(t),
                            t.rows(), t.cols(), format, null, arena));
                } else {
                    plain.put(t.name(), t);
                }
            }
            ModelWeights m = new ModelWeights(f16.config(), plain, packed, f16.source(), () -> { });
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
                assertTrue(Float.isFinite(want[i]), spec + ": logit " + i + " is " + want[i]);
                assertEquals(want[i], got[i], 2e-3f * Math.max(1, Math.abs(want[i])), spec + ": logit " + i);
            }
            assertEquals(RankGroup.argmax(want), RankGroup.argmax(got));
        }
    }
}
