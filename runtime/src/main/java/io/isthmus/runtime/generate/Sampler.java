package io.isthmus.runtime.generate;

import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Chooses the next token from logits, in llama.cpp's order: repetition penalty, top-k, top-p,
 * min-p, temperature, then a draw from a generator seeded with {@link SamplingParams#seed()}, so
 * the same seed and the same logits give the same tokens. Temperature 0 is argmax (ties go to the
 * lowest id) after the repetition penalty, with the other filters ignored.
 *
 * <p>Top-p and min-p are judged on the softmax of the temperature-scaled logits.
 *
 * <p>The caller's logits are never written: the sampler works on its own copy. One instance keeps
 * scratch buffers and a random generator, so it is not thread-safe; use one per sequence.
 */
public final class Sampler {

    /** Top-p without top-k first sorts only tokens with at least this probability relative to pmax. */
    private static final double FIRST_NUCLEUS_THRESHOLD = 1e-2;
    private static final double NUCLEUS_THRESHOLD_STEP = 1e-2;
    /** Below this the threshold becomes 0, so the search ends. */
    private static final double MIN_NUCLEUS_THRESHOLD = 1e-12;

    private final SamplingParams params;
    private final SplittableRandom random;
    private float[] logits = new float[0];
    /** By token id: {@code exp((logit - max) / temperature)}, i.e. probability relative to pmax. */
    private double[] weight = new double[0];
    private int[] candidates = new int[0];
    private int[] selected = new int[0];

    public Sampler(SamplingParams params) {
        this.params = Objects.requireNonNull(params, "params");
        this.random = new SplittableRandom(params.seed());
    }

    public SamplingParams params() {
        return params;
    }

    /** Samples with no token history (the repetition penalty has nothing to act on). */
    public int sample(float[] logits, int vocabSize) {
        return sample(logits, vocabSize, new int[0], 0);
    }

    /**
     * Samples the next token id from {@code logits[0..vocabSize)}; entries past {@code vocabSize}
     * (a padded vocabulary) are ignored. {@code history[0..historyLength)} are the tokens so far,
     * prompt included; the last {@link SamplingParams#repeatLastN()} of them are penalized.
     */
    public int sample(float[] logits, int vocabSize, int[] history, int historyLength) {
        return sample(logits, 0, vocabSize, history, historyLength);
    }

    /** The same for the logits at {@code logits[off..off+vocabSize)} (a row of a batch's logits). */
    public int sample(float[] logits, int off, int vocabSize, int[] history, int historyLength) {
        if (vocabSize <= 0 || off < 0 || off + vocabSize > logits.length) {
            throw new IllegalArgumentException("vocabSize must be in [1, " + (logits.length - off) + "], got " + vocabSize);
        }
        if (historyLength < 0 || historyLength > history.length) {
            throw new IllegalArgumentException("historyLength must be in [0, " + history.length + "], got " + historyLength);
        }
        ensureCapacity(vocabSize);
        System.arraycopy(logits, off, this.logits, 0, vocabSize);
        penalize(logits, off, vocabSize, history, historyLength);
        return params.isGreedy() ? argmax(vocabSize) : draw(vocabSize);
    }

    private void ensureCapacity(int vocabSize) {
        if (logits.length < vocabSize) {
            logits = new float[vocabSize];
            weight = new double[vocabSize];
            candidates = new int[vocabSize];
            selected = new int[vocabSize];
        }
    }

    private void penalize(float[] original, int off, int vocabSize, int[] history, int historyLength) {
        double penalty = params.repetitionPenalty();
        if (penalty == 1) {
            return;
        }
        for (int i = Math.max(0, historyLength - params.repeatLastN()); i < historyLength; i++) {
            int id = history[i];
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException("history token " + id + " at position " + i
                        + " is outside the vocabulary [0, " + vocabSize + ")");
            }
            // Each distinct token is penalized once, as in llama.cpp. A value still equal to the
            // original is untouched so far, or is one the penalty maps to itself (such as 0).
            if (logits[id] == original[off + id]) {
                float v = original[off + id];
                logits[id] = (float) (v > 0 ? v / penalty : v * penalty);
            }
        }
    }

    private int argmax(int vocabSize) {
        int best = 0;
        for (int i = 0; i < vocabSize; i++) {
            checkNotNaN(i);
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    private int draw(int vocabSize) {
        for (int i = 0; i < vocabSize; i++) {
            candidates[i] = i;
        }
        int count = vocabSize;
        boolean sorted = false;
        int topK = params.topK();
        if (topK > 0 && topK < vocabSize) {
            count = TopSelection.select(logits, candidates, count, topK, selected);
            swapCandidates();
            sorted = true;
        }
        computeWeights(count);
        if (params.topP() < 1) {
            count = sorted ? nucleusOfSorted(count) : nucleusByThreshold(count);
        }
        if (params.minP() > 0) {
            count = keepAtLeast(count, params.minP());
        }
        return drawWeighted(count);
    }

    private void swapCandidates() {
        int[] previous = candidates;
        candidates = selected;
        selected = previous;
    }

    private void computeWeights(int count) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) {
            int id = candidates[i];
            checkNotNaN(id);
            max = Math.max(max, logits[id]);
        }
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("every candidate logit is -infinity; nothing can be sampled");
        }
        double temperature = params.temperature();
        for (int i = 0; i < count; i++) {
            int id = candidates[i];
            weight[id] = Math.exp((logits[id] - (double) max) / temperature);
        }
    }

    private double totalWeight(int count) {
        double total = 0;
        for (int i = 0; i < count; i++) {
            total += weight[candidates[i]];
        }
        return total;
    }

    private int nucleusOfSorted(int count) {
        int keep = nucleusPrefix(candidates, count, params.topP() * totalWeight(count));
        return keep < 0 ? count : keep;
    }

    /**
     * Top-p over unsorted candidates without sorting the whole vocabulary: the nucleus is a prefix
     * of the best-first order, so when the tokens with weight at or above some threshold already
     * hold enough mass, the nucleus lies among them and only they need sorting. The threshold
     * drops until that holds, ending at 0 (everything).
     */
    private int nucleusByThreshold(int count) {
        double target = params.topP() * totalWeight(count);
        for (double threshold = FIRST_NUCLEUS_THRESHOLD; ; threshold *= NUCLEUS_THRESHOLD_STEP) {
            if (threshold < MIN_NUCLEUS_THRESHOLD) {
                threshold = 0;
            }
            int above = 0;
            double mass = 0;
            for (int i = 0; i < count; i++) {
                int id = candidates[i];
                if (weight[id] >= threshold) {
                    selected[above++] = id;
                    mass += weight[id];
                }
            }
            if (mass >= target || threshold == 0) {
                TopSelection.select(logits, selected, above, above, candidates);
                int keep = nucleusPrefix(candidates, above, target);
                return keep < 0 ? above : keep;
            }
        }
    }

    /**
     * Length of the shortest prefix of best-first {@code ids[0..n)} whose weight reaches
     * {@code target}, or -1 when none does.
     */
    private int nucleusPrefix(int[] ids, int n, double target) {
        double cumulative = 0;
        for (int i = 0; i < n; i++) {
            cumulative += weight[ids[i]];
            if (cumulative >= target) {
                return i + 1;
            }
        }
        return -1;
    }

    /** Min-p: keeps candidates whose probability is at least {@code minP * pmax}, in order. */
    private int keepAtLeast(int count, double minP) {
        int kept = 0;
        for (int i = 0; i < count; i++) {
            int id = candidates[i];
            if (weight[id] >= minP) {
                candidates[kept++] = id;
            }
        }
        return kept;
    }

    private int drawWeighted(int count) {
        double u = random.nextDouble() * totalWeight(count);
        double cumulative = 0;
        for (int i = 0; i < count; i++) {
            int id = candidates[i];
            cumulative += weight[id];
            if (u < cumulative) {
                return id;
            }
        }
        // u < total, and the loop re-adds the very same terms in the same order, so it returned.
        throw new IllegalStateException("weighted draw ran past the total weight");
    }

    private void checkNotNaN(int id) {
        if (Float.isNaN(logits[id])) {
            throw new IllegalArgumentException("logit of token " + id + " is NaN");
        }
    }
}
