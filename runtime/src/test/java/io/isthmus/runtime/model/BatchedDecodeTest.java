package io.isthmus.runtime.model;

import io.isthmus.runtime.format.ModelLoader;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.testing.SharedFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Batched decode equals separate single-sequence decodes: sequences with prompts of different
 * lengths (so different positions in one batch), each with its own KV cache, decoded in one
 * forward pass per step give the logits (within 1e-4) and greedy token ids of decoding each alone.
 */
class BatchedDecodeTest {
    static final Path STORIES = Path.of("../examples/models/stories260K.gguf").toAbsolutePath().normalize();
    /** Prompts as token ids (BOS first), of different lengths: stories260K and prose-llama share ids 0..511. */
    static final int[][] PROMPTS = {
            {1, 403, 407, 261, 500},
            {1, 365},
            {1, 403, 407, 261, 500, 287, 410, 264, 300, 270, 450},
            {1, 300, 301},
            {1, 411},
    };
    static final int STEPS = 12;
    private static final List<AutoCloseable> OPEN = new ArrayList<>();

    @AfterAll
    static void close() throws Exception {
        for (AutoCloseable c : OPEN) {
            c.close();
        }
    }

    static Transformer model(Path path, int threads) {
        ModelWeights w = ModelLoader.load(path);
        ComputePool pool = new ComputePool(threads);
        OPEN.add(w);
        OPEN.add(pool);
        return new Transformer(w, pool);
    }

    @Test
    void storiesBatchEqualsSeparateDecodes() {
        check(model(STORIES, 2), KvCacheType.F32);
    }

    @Test
    void storiesBatchWithBf16Cache() {
        check(model(STORIES, 1), KvCacheType.BF16);
    }

    @Test
    void proseLlamaBatchEqualsSeparateDecodes() {
        check(model(SharedFiles.require("models/prose-llama-35m/prose-llama-35m-f16.gguf"), 2), KvCacheType.F32);
    }

    /** Decodes every prompt alone (greedy), then all at once with the same tokens, and compares. */
    static void check(Transformer t, KvCacheType type) {
        int vocab = t.config().vocabSize();
        int n = PROMPTS.length;
        // a bf16 cache rounds K and V to 8 mantissa bits: a last-bit difference in a batched product
        // (or between interpreted and compiled vector code) can round a cached value the other way
        // (about 4e-3 of it), and such differences add up over the steps
        boolean exact = type == KvCacheType.F32;
        double tolerance = exact ? 1e-4 : 1e-2;
        int[][] tokens = new int[n][STEPS + 1];
        float[][][] alone = new float[n][STEPS][];
        for (int s = 0; s < n; s++) {
            int[] p = PROMPTS[s];
            KvCache cache = t.newCache(type, p.length + STEPS);
            float[] logits = new float[vocab];
            t.forward(cache, p, 0, p.length, 0, logits, false);
            tokens[s][0] = argmax(logits, 0, vocab);
            for (int k = 0; k < STEPS; k++) {
                t.forward(cache, tokens[s], k, 1, p.length + k, logits, false);
                alone[s][k] = logits.clone();
                tokens[s][k + 1] = argmax(logits, 0, vocab);
            }
        }
        KvCache[] caches = new KvCache[n];
        float[] first = new float[vocab];
        for (int s = 0; s < n; s++) {
            caches[s] = t.newCache(type, PROMPTS[s].length + STEPS);
            t.forward(caches[s], PROMPTS[s], 0, PROMPTS[s].length, 0, first, false);
        }
        DecodeBatch batch = new DecodeBatch();
        float[] logits = new float[n * vocab];
        for (int k = 0; k < STEPS; k++) {
            batch.clear();
            for (int s = n - 1; s >= 0; s--) { // rows in another order than the sequences
                batch.add(caches[s], PROMPTS[s].length + k, tokens[s][k]);
            }
            t.forwardBatch(batch, logits);
            for (int row = 0; row < n; row++) {
                int s = n - 1 - row;
                for (int v = 0; v < vocab; v++) {
                    float want = alone[s][k][v];
                    assertEquals(want, logits[row * vocab + v], tolerance * Math.max(1, Math.abs(want)),
                            "sequence " + s + ", step " + k + ", token " + v);
                }
                if (exact) {
                    assertEquals(tokens[s][k + 1], argmax(logits, row * vocab, vocab), "greedy token, sequence " + s + " step " + k);
                }
            }
        }
    }

    static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (x[off + i] > x[off + best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void badBatchesAreRefusedNamingTheRow() {
        Transformer t = model(STORIES, 1);
        int vocab = t.config().vocabSize();
        KvCache plain = t.newCache(KvCacheType.F32, 8);
        KvCache beams = t.newCache(KvCacheType.F32, KvShape.beams(3, 2, 8));
        float[] logits = new float[4 * vocab];
        DecodeBatch b = new DecodeBatch();
        assertThrows(IllegalArgumentException.class, () -> t.forwardBatch(b, logits), "empty");
        b.add(plain, 8, 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> t.forwardBatch(b, logits)).getMessage()
                .contains("row 0: position 8"));
        b.clear();
        b.add(beams, 0, 0, 3, 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> t.forwardBatch(b, logits)).getMessage()
                .contains("needs all 2 beams"));
        assertThrows(IllegalArgumentException.class, () -> b.add(beams, 1, 0, 4, 1), "beam 1 at another position");
        b.clear();
        b.add(beams, 0, 0, 4, 1).add(beams, 1, 0, 4, 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> t.forwardBatch(b, logits)).getMessage()
                .contains("expected 3"));
        b.clear();
        b.add(plain, 0, 1 << 20);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> t.forwardBatch(b, logits)).getMessage()
                .contains("token id"));
        assertThrows(IllegalArgumentException.class, () -> t.forward(beams, new int[] {1, 2, 3, 4}, 0, 4, 0, logits, false),
                "the plain path stops at the shared prompt of a beam cache");
    }
}
