package io.isthmus.runtime.api;

import io.isthmus.runtime.generate.BeamParams;
import io.isthmus.runtime.generate.SamplingParams;

import java.util.Objects;

/**
 * What to generate: a prompt (text, or token ids as given), how many new tokens at most, and how
 * to choose them: sampling, or beam search.
 *
 * <pre>{@code
 * var req = GenerationRequest.of("Once upon a time").withMaxTokens(64)
 *         .withSampling(SamplingParams.GREEDY.withTemperature(0.8).withTopP(0.95).withSeed(42));
 * var beams = GenerationRequest.of("Once upon a time").withBeams(BeamParams.of(4).withLengthPenalty(1.2));
 * }</pre>
 *
 * @param prompt         the prompt text, or null when {@code promptTokenIds} are given
 * @param promptTokenIds the prompt as token ids, used as they are (BOS included if wanted), or null
 * @param sampling       how tokens are sampled (unused by a beam search)
 * @param beams          beam search settings; {@link BeamParams#NONE} samples. A beam search
 *                       streams its tokens only when it ends (the best sequence is known then)
 * @param ignoreEos      keep generating past end-of-generation tokens (for benchmarks, as vLLM's ignore_eos)
 */
public record GenerationRequest(String prompt, int[] promptTokenIds, int maxTokens, SamplingParams sampling,
                                BeamParams beams, boolean ignoreEos) {

    public static final int DEFAULT_MAX_TOKENS = 128;

    public GenerationRequest {
        if ((prompt == null) == (promptTokenIds == null)) {
            throw new IllegalArgumentException("give the prompt as text or as token ids, not " + (prompt == null ? "neither" : "both"));
        }
        promptTokenIds = promptTokenIds == null ? null : promptTokenIds.clone();
        Objects.requireNonNull(sampling, "sampling");
        Objects.requireNonNull(beams, "beams");
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max tokens must be >= 0, got " + maxTokens);
        }
    }

    public GenerationRequest(String prompt, int maxTokens, SamplingParams sampling, boolean ignoreEos) {
        this(prompt, null, maxTokens, sampling, BeamParams.NONE, ignoreEos);
    }

    /** Greedy decoding of up to {@value #DEFAULT_MAX_TOKENS} tokens. */
    public static GenerationRequest of(String prompt) {
        return new GenerationRequest(prompt, DEFAULT_MAX_TOKENS, SamplingParams.GREEDY, false);
    }

    /** Greedy decoding after these token ids (not tokenized again: BOS is there only if given). */
    public static GenerationRequest ofTokens(int[] promptTokenIds) {
        return new GenerationRequest(null, promptTokenIds, DEFAULT_MAX_TOKENS, SamplingParams.GREEDY, BeamParams.NONE, false);
    }

    @Override
    public int[] promptTokenIds() {
        return promptTokenIds == null ? null : promptTokenIds.clone();
    }

    public GenerationRequest withMaxTokens(int n) {
        return new GenerationRequest(prompt, promptTokenIds, n, sampling, beams, ignoreEos);
    }

    public GenerationRequest withSampling(SamplingParams p) {
        return new GenerationRequest(prompt, promptTokenIds, maxTokens, p, beams, ignoreEos);
    }

    public GenerationRequest withBeams(BeamParams b) {
        return new GenerationRequest(prompt, promptTokenIds, maxTokens, sampling, b, ignoreEos);
    }

    public GenerationRequest withIgnoreEos(boolean ignore) {
        return new GenerationRequest(prompt, promptTokenIds, maxTokens, sampling, beams, ignore);
    }
}
