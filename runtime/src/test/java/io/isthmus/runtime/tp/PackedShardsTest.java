package io.isthmus.runtime.tp;

import io.isthmus.numa.CpuSet;
import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.format.ModelLoader;
import io.isthmus.runtime.format.QuantizedFileWriter;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.model.KvCache;
import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.Transformer;
import io.isthmus.runtime.quant.WeightFormats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Packed matrices (the test-only family test_int8) under AutoTP: quantized at load before
 * sharding, and read from a quantized file (row slices stay views of the mapping, column slices are
 * copied), two ranks give one rank's logits and greedy tokens.
 */
class PackedShardsTest {
    static final Path MODEL = Path.of("../examples/models/stories260K.gguf").toAbsolutePath().normalize();
    static final int[] PROMPT = {1, 403, 407, 261, 378};

    static void twoRanksMatchOne(ModelWeights m) throws Exception {
        int vocab = m.config().vocabSize();
        float[] want = new float[vocab];
        int[] wantIds;
        try (ComputePool pool = new ComputePool(CpuSet.of(0), false)) {
            Transformer t = new Transformer(m, pool);
            KvCache cache = t.newCache(KvCacheType.F32, PROMPT.length);
            t.forward(cache, PROMPT, 0, PROMPT.length, 0, want, false);
        }
        try (RankGroup one = new RankGroup(m, 1, ShardPlanner.DEFAULT_GRAIN)) {
            wantIds = one.generate(PROMPT, 12, new float[vocab]);
        }
        float[] got = new float[vocab];
        try (RankGroup g = new RankGroup(m, 2, ShardPlanner.DEFAULT_GRAIN)) {
            assertArrayEquals(wantIds, g.generate(PROMPT, 12, got));
        }
        for (int i = 0; i < vocab; i++) {
            assertEquals(want[i], got[i], 1e-4f * Math.max(1, Math.abs(want[i])), "logit " + i);
        }
    }

    @Test
    void quantizedAtLoadThenSharded() throws Exception {
        try (ModelWeights m = WeightFormats.convert(ModelLoader.load(MODEL), FormatSpec.parse("test_int8"))) {
            twoRanksMatchOne(m);
        }
    }

    @Test
    void readFromAQuantizedFileThenSharded(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("s.safetensors");
        try (ModelWeights m = WeightFormats.convert(ModelLoader.load(MODEL), FormatSpec.parse("test_int8"))) {
            new QuantizedFileWriter(m).write(file);
        }
        try (ModelWeights m = ModelLoader.load(file)) {
            ShardPlan plan = ShardPlanner.plan(m, 2);
            try (ShardLoader.RankWeights r = ShardLoader.load(m, plan, 1)) {
                assertEquals("test_int8", r.weights().packed().get("blk.0.attn_q.weight").format());
                assertEquals(32, r.weights().packed().get("blk.0.attn_q.weight").rows(), "column-parallel: half the rows");
                assertEquals(32, r.weights().packed().get("blk.0.attn_output.weight").cols(), "row-parallel: half the columns");
            }
            twoRanksMatchOne(m);
        }
    }
}
