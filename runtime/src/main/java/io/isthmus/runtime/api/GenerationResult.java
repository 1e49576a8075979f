package io.isthmus.runtime.api;

import io.isthmus.runtime.generate.GenerationTimings;
import io.isthmus.runtime.generate.StopReason;

/**
 * A finished generation. {@code tokenIds} are the generated ids only; {@code promptTokenIds}
 * include BOS where the model adds one. {@code score}: for a beam search the returned sequence's
 * summed log-probability over length^length_penalty, NaN otherwise.
 */
public record GenerationResult(String text, int[] tokenIds, int[] promptTokenIds, StopReason stopReason,
                               GenerationTimings timings, int worldSize, double score) {
}
