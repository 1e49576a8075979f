package io.isthmus.runtime.generate;

/**
 * Beam search settings, with Hugging Face transformers' meaning.
 *
 * @param beams         beam width B; 1 = no beam search (tokens are sampled)
 * @param lengthPenalty a finished sequence scores its summed log-probability divided by
 *                      length^lengthPenalty (length: generated tokens, an ending end-of-generation
 *                      token included); above 0 favours longer sequences, below 0 shorter
 * @param earlyStopping stop as soon as B sequences have finished; otherwise stop when no running
 *                      beam can still beat the worst of them (transformers' default heuristic)
 */
public record BeamParams(int beams, double lengthPenalty, boolean earlyStopping) {

    /** No beam search. */
    public static final BeamParams NONE = new BeamParams(1, 1.0, false);

    public BeamParams {
        if (beams <= 0) {
            throw new IllegalArgumentException("beams must be positive, got " + beams);
        }
        if (!Double.isFinite(lengthPenalty)) {
            throw new IllegalArgumentException("length_penalty must be finite, got " + lengthPenalty);
        }
    }

    /** B beams, length penalty 1, the heuristic stop. */
    public static BeamParams of(int beams) {
        return new BeamParams(beams, 1.0, false);
    }

    public BeamParams withLengthPenalty(double p) {
        return new BeamParams(beams, p, earlyStopping);
    }

    public BeamParams withEarlyStopping(boolean stop) {
        return new BeamParams(beams, lengthPenalty, stop);
    }

    public boolean isBeamSearch() {
        return beams > 1;
    }
}
