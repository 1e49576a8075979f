package io.isthmus.runtime.api;

import io.isthmus.runtime.generate.SamplingParams;

import java.util.Objects;

/**
 * What to generate: a prompt, how many new tokens at most, and how to sample them.
 *
 * <pre>{@code
 * var req = GenerationRequest.of("Once upon a time").withMaxTokens(64)
 *         .withSampling(SamplingParams.GREEDY.withTemperature(0.8).withTopP(0.95).withSeed(42));
 * }</pre>
 *
 * @param ignoreEos keep generating past end-of-generation tokens (for benchmarks, as vLLM's ignore_eos)
 */
public record GenerationRequest(String prompt, int maxTokens, SamplingParams sampling, boolean ignoreEos) {

    public static final int DEFAULT_MAX_TOKENS = 128;

    public GenerationRequest {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(sampling, "sampling");
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max tokens must be >= 0, got " + maxTokens);
        }
    }

    /** Greedy decoding of up to {@value #DEFAULT_MAX_TOKENS} tokens. */
    public static GenerationRequest of(String prompt) {
        return new GenerationRequest(prompt, DEFAULT_MAX_TOKENS, SamplingParams.GREEDY, false);
    }

    public GenerationRequest withMaxTokens(int n) {
        return new GenerationRequest(prompt, n, sampling, ignoreEos);
    }

    public GenerationRequest withSampling(SamplingParams p) {
        return new GenerationRequest(prompt, maxTokens, p, ignoreEos);
    }

    public GenerationRequest withIgnoreEos(boolean ignore) {
        return new GenerationRequest(prompt, maxTokens, sampling, ignore);
    }
}
