package io.isthmus.runtime.generate;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The best B finished sequences of a beam search, scored with the length penalty, and the rule
 * that says when the search may stop (transformers' BeamHypotheses).
 */
final class BeamHypotheses {
    /** A finished sequence: generated tokens (an ending end-of-generation token excluded) and its score. */
    record Hypothesis(int[] tokens, double score, boolean endedByEos) {
    }

    private final BeamParams params;
    private final List<Hypothesis> kept = new ArrayList<>();

    BeamHypotheses(BeamParams params) {
        this.params = params;
    }

    /** The penalised score of a sequence of {@code length} generated tokens summing {@code logProb}. */
    double score(double logProb, int length) {
        return logProb / Math.pow(length, params.lengthPenalty());
    }

    /** Adds a finished sequence of {@code length} tokens (for the penalty) if it is among the best B. */
    void add(int[] tokens, double logProb, int length, boolean endedByEos) {
        double score = score(logProb, length);
        if (kept.size() < params.beams() || score > worst()) {
            kept.add(new Hypothesis(tokens, score, endedByEos));
            if (kept.size() > params.beams()) {
                kept.remove(worstIndex());
            }
        }
    }

    boolean full() {
        return kept.size() >= params.beams();
    }

    private double worst() {
        return kept.get(worstIndex()).score();
    }

    private int worstIndex() {
        int w = 0;
        for (int i = 1; i < kept.size(); i++) {
            if (kept.get(i).score() < kept.get(w).score()) {
                w = i;
            }
        }
        return w;
    }

    /**
     * Whether the search is over, given the best running beam's summed log-probability after
     * {@code length} generated tokens: B sequences have finished, and with early stopping that is
     * enough; otherwise no running beam may beat the worst finished one any more.
     */
    boolean done(double bestRunningLogProb, int length) {
        if (!full()) {
            return false;
        }
        return params.earlyStopping() || worst() >= score(bestRunningLogProb, length);
    }

    /** The best finished sequence (the first added among equal scores), or null when none finished. */
    Hypothesis best() {
        return kept.stream().max(Comparator.comparingDouble(Hypothesis::score)).orElse(null);
    }
}
