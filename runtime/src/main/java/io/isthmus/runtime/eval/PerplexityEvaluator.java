package io.isthmus.runtime.eval;

import io.isthmus.runtime.model.ForwardPass;
import io.isthmus.runtime.model.KvCache;
import io.isthmus.runtime.model.KvCacheType;

/**
 * Perplexity by llama.cpp's method ({@code llama-perplexity}): the token stream is cut into
 * ⌊n / ctx⌋ non-overlapping windows of {@code ctx} tokens; each window's first token is replaced
 * by BOS (where the model has one) and the window runs from an empty KV cache; only the second half
 * is scored: the logits at positions ctx/2 .. ctx−2 predict the tokens after them, so each window
 * scores ctx − ctx/2 − 1 tokens. Perplexity is exp of the mean negative log-likelihood.
 *
 * <p>The first half runs without logits and the second half with the logits of every position (in
 * as few forward calls as the {@link ForwardPass} takes); rows do not interact in a forward pass,
 * so this gives the numbers of one batch per window. Not thread-safe (it drives one forward pass).
 */
public final class PerplexityEvaluator {

    /** Told after each window: windows done of the total, and the perplexity so far. */
    @FunctionalInterface
    public interface Progress {
        void windowDone(int done, int total, double perplexitySoFar);
    }

    private final ForwardPass model;
    private final KvCacheType cacheType;

    public PerplexityEvaluator(ForwardPass model, KvCacheType cacheType) {
        this.model = model;
        this.cacheType = cacheType;
    }

    /**
     * Scores {@code tokens} (see {@link PerplexityText#tokenize}) in windows of {@code ctx};
     * {@code bos} is the id put at the start of each window, or -1 for models without BOS;
     * {@code maxChunks} &gt; 0 scores only the first that many windows ({@code llama-perplexity --chunks}).
     */
    public PerplexityResult evaluate(int[] tokens, int bos, int ctx, int maxChunks, Progress progress) {
        int vocab = model.config().vocabSize();
        if (ctx < 4) {
            throw new IllegalArgumentException("--ctx " + ctx + " is too small for perplexity (at least 4)");
        }
        if (ctx > model.config().contextLength()) {
            throw new IllegalArgumentException("--ctx " + ctx + " exceeds the model's context length of "
                    + model.config().contextLength() + " tokens");
        }
        int windows = tokens.length / ctx;
        if (windows == 0) {
            throw new IllegalArgumentException("the text has " + tokens.length + " tokens, fewer than one window of "
                    + ctx + " (use a smaller --ctx)");
        }
        if (maxChunks > 0) {
            windows = Math.min(windows, maxChunks);
        }
        int first = ctx / 2;
        int piece = Math.min(ctx - first, Math.max(1, model.maxAllLogitsTokens()));
        float[] logits = new float[piece * vocab];
        int[] window = new int[ctx];
        double nll = 0;
        long scored = 0;
        for (int w = 0; w < windows; w++) {
            System.arraycopy(tokens, w * ctx, window, 0, ctx);
            if (bos >= 0) {
                window[0] = bos;
            }
            KvCache cache = model.newCache(cacheType, ctx);
            model.forward(cache, window, 0, first, 0, logits, false);
            for (int from = first; from < ctx; from += piece) {
                int m = Math.min(piece, ctx - from);
                model.forward(cache, window, from, m, from, logits, true);
                for (int i = 0; i < m && from + i < ctx - 1; i++) {
                    nll += NextTokenLoss.nll(logits, i * vocab, vocab, window[from + i + 1]);
                    scored++;
                }
            }
            if (progress != null) {
                progress.windowDone(w + 1, windows, Math.exp(nll / scored));
            }
        }
        double mean = nll / scored;
        return new PerplexityResult(Math.exp(mean), mean, scored, windows, ctx, tokens.length);
    }
}
