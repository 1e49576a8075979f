package io.isthmus.runtime.eval;

import io.isthmus.runtime.kernel.RopeStyle;
import io.isthmus.runtime.model.Activation;
import io.isthmus.runtime.model.Architecture;
import io.isthmus.runtime.model.ForwardPass;
import io.isthmus.runtime.model.DecodeBatch;
import io.isthmus.runtime.model.KvCache;
import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.model.KvShape;
import io.isthmus.runtime.model.ModelConfig;
import io.isthmus.runtime.model.QkvLayout;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The windowing and scoring of llama.cpp's method, on a fake model whose logits are known: a model
 * that always gives the next token logit L and every other token 0 has a perplexity computable by hand.
 */
class PerplexityEvaluatorTest {
    static final int VOCAB = 10;

    /** Puts logit {@code hit} on (token at position + 1) mod VOCAB, 0 elsewhere; records every call. */
    static final class FakeModel implements ForwardPass {
        final ModelConfig config = new ModelConfig(Architecture.LLAMA, 8, 8, 1, 1, 1, 8, VOCAB, 64, 1e-5f, 8, 10000, 1,
                RopeStyle.ADJACENT_PAIRS, false, QkvLayout.SEPARATE, Activation.SWIGLU);
        final float hit;
        final int maxAll;
        final List<String> calls = new ArrayList<>();

        FakeModel(float hit, int maxAll) {
            this.hit = hit;
            this.maxAll = maxAll;
        }

        @Override
        public ModelConfig config() {
            return config;
        }

        @Override
        public KvCache newCache(KvCacheType type, KvShape shape) {
            calls.add("cache " + shape.capacity());
            return KvCache.create(type, 1, shape, 8);
        }

        @Override
        public void forwardBatch(DecodeBatch batch, float[] logits) {
            throw new UnsupportedOperationException("perplexity runs whole windows, never batches");
        }

        @Override
        public void forward(KvCache cache, int[] tokens, int off, int m, int startPos, float[] logits, boolean allLogits) {
            assertTrue(!allLogits || m <= maxAll, "all logits for " + m + " tokens");
            calls.add("forward " + Arrays.toString(Arrays.copyOfRange(tokens, off, off + m)) + " at " + startPos
                    + (allLogits ? " all" : ""));
            int rows = allLogits ? m : 1;
            for (int i = 0; i < rows; i++) {
                int t = tokens[off + (allLogits ? i : m - 1)];
                Arrays.fill(logits, i * VOCAB, (i + 1) * VOCAB, 0f);
                logits[i * VOCAB + (t + 1) % VOCAB] = hit;
            }
        }

        @Override
        public int maxAllLogitsTokens() {
            return maxAll;
        }
    }

    @Test
    void scoresTheSecondHalfOfEachWindowWithBosFirst() {
        FakeModel model = new FakeModel(0f, Integer.MAX_VALUE); // uniform logits: perplexity = vocabulary size
        int[] tokens = new int[27];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (i * 3) % VOCAB;
        }
        PerplexityResult r = new PerplexityEvaluator(model, KvCacheType.F32).evaluate(tokens, 9, 8, 0, null);
        assertEquals(3, r.chunks(), "⌊27 / 8⌋ windows");
        assertEquals(3 * 3, r.scoredTokens(), "positions 4..6 of each window predict 5..7");
        assertEquals(VOCAB, r.perplexity(), 1e-9);
        assertEquals(List.of("cache 8", "forward [9, 3, 6, 9] at 0", "forward [2, 5, 8, 1] at 4 all",
                "cache 8", "forward [9, 7, 0, 3] at 0", "forward [6, 9, 2, 5] at 4 all",
                "cache 8", "forward [9, 1, 4, 7] at 0", "forward [0, 3, 6, 9] at 4 all"), model.calls);
    }

    @Test
    void chunksLimitsTheWindowsToTheFirstOnes() {
        FakeModel model = new FakeModel(0f, Integer.MAX_VALUE);
        int[] tokens = new int[27];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (i * 3) % VOCAB;
        }
        PerplexityResult r = new PerplexityEvaluator(model, KvCacheType.F32).evaluate(tokens, 9, 8, 2, null);
        assertEquals(2, r.chunks(), "--chunks 2 of 3 windows");
        assertEquals(2 * 3, r.scoredTokens());
        assertEquals(List.of("cache 8", "forward [9, 3, 6, 9] at 0", "forward [2, 5, 8, 1] at 4 all",
                "cache 8", "forward [9, 7, 0, 3] at 0", "forward [6, 9, 2, 5] at 4 all"), model.calls);
        assertEquals(3, new PerplexityEvaluator(new FakeModel(0f, Integer.MAX_VALUE), KvCacheType.F32)
                .evaluate(tokens, 9, 8, 10, null).chunks(), "more chunks than windows: all windows");
    }

    @Test
    void nllIsMinusLogSoftmaxOfTheNextToken() {
        // tokens i → i+1: the fake model's favourite is always right, with logit 3 against 9 zeros
        FakeModel model = new FakeModel(3f, 2);
        int[] tokens = new int[16];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i % VOCAB;
        }
        List<Double> seen = new ArrayList<>();
        PerplexityResult r = new PerplexityEvaluator(model, KvCacheType.F32).evaluate(tokens, -1, 16, 0, (d, t, p) -> seen.add(p));
        double nll = -(3 - Math.log(Math.exp(3) + 9));
        // exponentials of whole vectors are floats (8 of the 10 logits at 256 bits; none at 512, where all go through the double tail)
        double floatExp = 1e-6;
        assertEquals(7, r.scoredTokens());
        assertEquals(nll, r.meanNll(), floatExp);
        assertEquals(Math.exp(nll), r.perplexity(), floatExp);
        assertEquals(1, seen.size());
        assertEquals(Math.exp(nll), seen.getFirst(), floatExp);
        assertTrue(model.calls.contains("forward [8, 9] at 8 all"), "all-logit runs split to the model's limit: " + model.calls);
    }

    @Test
    void refusesTextsShorterThanAWindowAndWindowsBeyondTheContext() {
        FakeModel model = new FakeModel(0f, Integer.MAX_VALUE);
        PerplexityEvaluator e = new PerplexityEvaluator(model, KvCacheType.F32);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> e.evaluate(new int[10], 1, 16, 0, null))
                .getMessage().contains("fewer than one window of 16"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> e.evaluate(new int[200], 1, 128, 0, null))
                .getMessage().contains("exceeds the model's context length of 64"));
    }
}
