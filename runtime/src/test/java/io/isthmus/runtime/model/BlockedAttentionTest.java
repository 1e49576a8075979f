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
 * The blocked attention ({@link BlockedAttention}) equals the row-by-row attention of single-token
 * decode, on models with grouped-query attention (head dimensions of whole and of partial vectors):
 * a prompt run as chunks (the first starting at 0, later ones part-way, with lengths that leave
 * short query tiles) gives, at every position, the logits of running it one token at a time; and
 * beam-search steps over the shared indirect-access cache give the logits of each beam decoded
 * alone on its own full copy of its parent's cache.
 */
class BlockedAttentionTest {
    /** 4 query heads of 64 over 2 KV heads. */
    static final SyntheticShape SHAPE = new SyntheticShape("attention-test", "llama", 256, 2, 4, 2, 384, 300, 256, 64);
    /** 3 query heads of 20 over 1 KV head: a head dimension of partial vectors and an odd group (a pair and a single row). */
    static final SyntheticShape ODD = new SyntheticShape("attention-odd", "llama", 60, 2, 3, 1, 96, 300, 256, 20);

    private static Path model(Path dir, SyntheticShape shape) {
        Path file = dir.resolve(shape.name() + ".gguf");
        SyntheticModelWriter.write(shape, GgmlType.F32, 11, file, 1, bytes -> { });
        return file;
    }

    @ParameterizedTest
    @CsvSource({"F32, 1, false", "F32, 2, false", "BF16, 2, false", "F32, 2, true"})
    void chunksEqualTokenByToken(KvCacheType type, int threads, boolean oddShape, @TempDir Path dir) throws Exception {
        SyntheticShape shape = oddShape ? ODD : SHAPE;
        Path file = model(dir, shape);
        int[] chunks = {37, 8, 106}; // 151 tokens: short tiles, a chunk of exactly MIN_CHUNK_ROWS, starts at 0, 37 and 45
        int n = 0;
        for (int c : chunks) {
            assertTrue(c >= BlockedAttention.MIN_CHUNK_ROWS);
            n += c;
        }
        int[] tokens = new Random(5).ints(n, 0, shape.vocabSize()).toArray();
        int vocab = shape.vocabSize();
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
            for (int p = 0; p < n; p++) {
                assertClose(expected, actual, p * vocab, vocab, type, "position " + p);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"F32, 1, 4, false", "F32, 2, 4, false", "F32, 2, 3, false", "BF16, 2, 4, false", "F32, 2, 3, true"})
    void beamStepsEqualSeparateCacheCopies(KvCacheType type, int threads, int beams, boolean oddShape, @TempDir Path dir)
            throws Exception {
        SyntheticShape shape = oddShape ? ODD : SHAPE;
        Path file = model(dir, shape);
        int vocab = shape.vocabSize();
        int steps = 9;
        Random rnd = new Random(8);
        int[] prompt = rnd.ints(70, 0, vocab).toArray();
        try (ModelWeights w = ModelLoader.load(file); ComputePool pool = new ComputePool(threads)) {
            Transformer t = new Transformer(w, pool);
            int capacity = prompt.length + steps;
            KvCache shared = t.newCache(type, KvShape.beams(prompt.length, beams, capacity));
            KvCache promptOnly = t.newCache(type, capacity);
            float[] last = new float[vocab];
            t.forward(shared, prompt, 0, prompt.length, 0, last, false);
            t.forward(promptOnly, prompt, 0, prompt.length, 0, last, false);
            KvCache[] copies = new KvCache[beams];
            float[] batchLogits = new float[beams * vocab];
            float[] aloneLogits = new float[beams * vocab];
            float[] one = new float[vocab];
            DecodeBatch batch = new DecodeBatch();
            for (int k = 0; k < steps; k++) {
                int pos = prompt.length + k;
                int[] parents = new int[beams];
                int[] tokens = new int[beams];
                KvCache[] next = new KvCache[beams];
                batch.clear();
                for (int b = 0; b < beams; b++) {
                    parents[b] = k == 0 ? 0 : rnd.nextInt(beams);
                    tokens[b] = rnd.nextInt(vocab);
                    next[b] = (k == 0 ? promptOnly : copies[parents[b]]).copy(); // the reference forks by copying
                    batch.add(shared, b, parents[b], pos, tokens[b]);
                }
                t.forwardBatch(batch, batchLogits);
                for (int b = 0; b < beams; b++) {
                    t.forward(next[b], tokens, b, 1, pos, one, false);
                    System.arraycopy(one, 0, aloneLogits, b * vocab, vocab);
                    assertClose(aloneLogits, batchLogits, b * vocab, vocab, type, "step " + k + ", beam " + b);
                }
                copies = next;
            }
        }
    }

    /** Relative Frobenius error of actual against expected over [off, off + n). */
    private static void assertClose(float[] expected, float[] actual, int off, int n, KvCacheType type, String what) {
        // a bf16 cache rounds what it stores, and the paths sum in different orders
        double tolerance = type == KvCacheType.F32 ? 1e-4 : 1e-2;
        double err = 0, norm = 0;
        for (int v = off; v < off + n; v++) {
            double d = actual[v] - expected[v];
            err += d * d;
            norm += (double) expected[v] * expected[v];
        }
        double rel = Math.sqrt(err / norm);
        assertTrue(rel <= tolerance, what + ": relative error " + rel);
    }
}
