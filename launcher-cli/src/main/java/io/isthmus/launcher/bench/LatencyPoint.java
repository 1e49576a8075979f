package io.isthmus.launcher.bench;

/**
 * The runs of one configuration: rank count, prompt length, tokens generated, beam width, and
 * sequences decoded at once (batch); per run the prompt latency (prefill until the first token's
 * logits) and the mean latency of the 2nd and later tokens (one decode step each; a step serves all
 * beams of all sequences of the batch), averaged over the batch's sequences.
 */
public record LatencyPoint(int ranks, int inputTokens, int outputTokens, int beams, int batch, double[] promptMs,
                           double[] perTokenMs) {

    public LatencyPoint {
        if (promptMs.length == 0 || promptMs.length != perTokenMs.length) {
            throw new IllegalArgumentException("runs: " + promptMs.length + " prompt and " + perTokenMs.length
                    + " per-token latencies");
        }
        promptMs = promptMs.clone();
        perTokenMs = perTokenMs.clone();
    }

    public int runs() {
        return promptMs.length;
    }

    public double promptMedian() {
        return Percentiles.median(promptMs);
    }

    public double promptP90() {
        return Percentiles.p90(promptMs);
    }

    public double perTokenMedian() {
        return Percentiles.median(perTokenMs);
    }

    public double perTokenP90() {
        return Percentiles.p90(perTokenMs);
    }

    /** Whether {@code o} is the same configuration on another rank count. */
    public boolean sameCase(LatencyPoint o) {
        return inputTokens == o.inputTokens && outputTokens == o.outputTokens && beams == o.beams && batch == o.batch;
    }

    /** "in 32, beams 4": the configuration without the rank count. */
    public String caseLabel() {
        return "in " + inputTokens + ", beams " + beams + (batch > 1 ? ", batch " + batch : "");
    }
}
