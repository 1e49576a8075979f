package io.isthmus.runtime.config;

import io.isthmus.runtime.generate.BeamParams;
import io.isthmus.runtime.generate.SamplingParams;
import java.util.Objects;

/**
 * The {@code generation} section.
 *
 * @param maxNewTokens most tokens generated per request
 * @param sampling     how each token is chosen
 * @param beams        beam search: width (1 = none), length penalty, early stopping
 */
public record GenerationSpec(int maxNewTokens, SamplingParams sampling, BeamParams beams) {

    public static final int DEFAULT_MAX_NEW_TOKENS = 128;

    public static final GenerationSpec DEFAULT = new GenerationSpec(DEFAULT_MAX_NEW_TOKENS, SamplingParams.GREEDY, BeamParams.NONE);

    public GenerationSpec {
        Objects.requireNonNull(sampling, "sampling");
        Objects.requireNonNull(beams, "beams");
        if (maxNewTokens <= 0) {
            throw new IllegalArgumentException("max_new_tokens must be positive, got " + maxNewTokens);
        }
    }
}
