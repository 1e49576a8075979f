package io.isthmus.runtime.model;

import io.isthmus.runtime.format.ModelLoader;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.synth.SyntheticModelWriter;
import io.isthmus.runtime.synth.SyntheticShape;
import io.isthmus.runtime.tensor.GgmlType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The blocked prompt-chunk attention ({@link PrefillAttention}) equals the row-by-row attention that
 * decode uses: a prompt run as chunks (the first starting at 0, later ones part-way, with lengths
 * that leave short query tiles) gives, at every position, the logits of running it one token at a
 * time, on a model with grouped-query attention and a head dimension the blocked kernel takes.
 */
class PrefillAttentionTest {
    /** 4 query heads of 64 over 2 KV heads, so every vector width's tiles fit. */
    static final SyntheticShape SHAPE = new SyntheticShape("attention-test", "llama", 256, 2, 4, 2, 384, 300, 256, 64);

    @ParameterizedTest
    @CsvSource({"F32, 1", "F32, 2", "BF16, 2"})
    void chunksEqualTokenByToken(KvCacheType type, int threads, @TempDir Path dir) throws Exception {
        assertTrue(PrefillAttention.supports(SHAPE.dim() / SHAPE.heads()));
        Path file = dir.resolve("model.gguf");
        SyntheticModelWriter.write(SHAPE, GgmlType.F32, 11, file, 1, bytes -> { });
        int[] chunks = {37, 8, 106}; // 151 tokens: short tiles, a chunk of exactly MIN_ROWS, starts at 0, 37 and 45
        int n = 0;
        for (int c : chunks) {
            assertTrue(c >= PrefillAttention.MIN_ROWS);
            n += c;
        }
        int[] tokens = new Random(5).ints(n, 0, SHAPE.vocabSize()).toArray();
        int vocab = SHAPE.vocabSize();
        try (ModelWeights w = ModelLoader.load(file); ComputePool pool = new ComputePool(threads)) {
            Transformer t = new Transformer(w, pool);
            KvCache stepwise = t.newCache(type, n);
            float[] expected = new float[n * vocab];
            float[] one = new float[vocab];
            for (int p = 0; p < n; p++) {
                t.forward(stepwise, tokens, p, 1, p, one, false);
                System.arraycopy(one, 0, expected, p * vocab, vocab);
            }
            KvCache chunked = t.newCache(type, n);
            float[] actual = new float[n * vocab];
            float[] rows = new float[n * vocab];
            int start = 0;
            for (int c : chunks) {
                t.forward(chunked, tokens, start, c, start, rows, true);
                System.arraycopy(rows, 0, actual, start * vocab, c * vocab);
                start += c;
            }
            // a bf16 cache rounds what it stores, and the two paths sum in different orders
            double tolerance = type == KvCacheType.F32 ? 1e-4 : 1e-2;
            for (int p = 0; p < n; p++) {
                double err = 0, norm = 0;
                for (int v = 0; v < vocab; v++) {
                    double d = actual[p * vocab + v] - expected[p * vocab + v];
                    err += d * d;
                    norm += (double) expected[p * vocab + v] * expected[p * vocab + v];
                }
                double rel = Math.sqrt(err / norm);
                assertTrue(rel <= tolerance, "position " + p + ": relative error " + rel);
            }
        }
    }
}
