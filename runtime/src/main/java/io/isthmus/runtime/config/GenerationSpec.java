package io.isthmus.runtime.config;

import io.isthmus.runtime.generate.SamplingParams;
import java.util.Objects;

/**
 * The {@code generation} section.
 *
 * @param maxNewTokens most tokens generated per request
 * @param sampling     how each token is chosen
 * @param beams        beam width; 1 = no beam search
 */
public record GenerationSpec(int maxNewTokens, SamplingParams sampling, int beams) {

    public static final int DEFAULT_MAX_NEW_TOKENS = 128;

    public static final GenerationSpec DEFAULT = new GenerationSpec(DEFAULT_MAX_NEW_TOKENS, SamplingParams.GREEDY, 1);

    public GenerationSpec {
        Objects.requireNonNull(sampling, "sampling");
        if (maxNewTokens <= 0) {
            throw new IllegalArgumentException("max_new_tokens must be positive, got " + maxNewTokens);
        }
        if (beams <= 0) {
            throw new IllegalArgumentException("beams must be positive, got " + beams);
        }
    }
}
