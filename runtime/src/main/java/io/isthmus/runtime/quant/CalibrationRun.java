package io.isthmus.runtime.quant;

import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.model.KvCache;
import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.Transformer;
import io.isthmus.runtime.tokenizer.Tokenizer;

import java.util.Arrays;

/**
 * Runs calibration text through a model and collects {@link InputStatistics} of every weight
 * matrix's inputs. The text is tokenized once (BOS first where the model adds one) and run in
 * non-overlapping windows, each from an empty cache and starting with BOS, as perplexity runs it.
 */
public final class CalibrationRun {

    /** Told after each window: windows done of the total. */
    @FunctionalInterface
    public interface Progress {
        void windowDone(int done, int total);
    }

    private CalibrationRun() {
    }

    /**
     * Statistics over up to {@code maxTokens} tokens of {@code text} in windows of {@code window}
     * tokens (the last one may be shorter), keeping {@code sampleRows} input rows per matrix.
     */
    public static InputStatistics collect(ModelWeights weights, Tokenizer tokenizer, String text, int maxTokens,
                                          int window, int sampleRows, ComputePool pool, Progress progress) {
        if (window < 1 || window > weights.config().contextLength()) {
            throw new IllegalArgumentException("calibration window " + window + " must be 1.."
                    + weights.config().contextLength() + " (the model's context)");
        }
        int[] all = tokenizer.encode(text, true);
        int n = Math.min(all.length, maxTokens);
        if (n < 2) {
            throw new IllegalArgumentException("the calibration text has " + all.length + " tokens; at least 2 are needed");
        }
        InputStatistics stats = new InputStatistics(sampleRows);
        Transformer model = new Transformer(weights, pool, stats);
        float[] logits = new float[weights.config().vocabSize()];
        int windows = Math.ceilDiv(n, window);
        int bos = tokenizer.addsBos() ? tokenizer.bosId() : -1;
        for (int w = 0; w < windows; w++) {
            int from = w * window;
            int len = Math.min(window, n - from);
            int[] tokens = Arrays.copyOfRange(all, from, from + len);
            if (bos >= 0) {
                tokens[0] = bos;
            }
            KvCache cache = model.newCache(KvCacheType.F32, len);
            model.forward(cache, tokens, 0, len, 0, logits, false);
            stats.tokens += len;
            progress.windowDone(w + 1, windows);
        }
        return stats;
    }
}
