package io.isthmus.runtime.generate;

/**
 * Wall-clock figures of one generation. The prompt phase runs the prompt as a batch and yields
 * the first token's logits; each later token is one decode step.
 */
public record GenerationTimings(double promptMs, int promptTokens, double decodeMs, int decodeSteps) {

    public double promptTokensPerSecond() {
        return promptMs > 0 ? promptTokens * 1000.0 / promptMs : 0;
    }

    /** Mean time of one decode step (tokens after the first), 0 when there were none. */
    public double perTokenMs() {
        return decodeSteps > 0 ? decodeMs / decodeSteps : 0;
    }

    public double tokensPerSecond() {
        return decodeSteps > 0 ? decodeSteps * 1000.0 / decodeMs : 0;
    }
}
