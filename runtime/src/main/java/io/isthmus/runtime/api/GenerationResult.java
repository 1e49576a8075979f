package io.isthmus.runtime.api;

import io.isthmus.runtime.generate.GenerationTimings;
import io.isthmus.runtime.generate.StopReason;

/**
 * A finished generation. {@code tokenIds} are the generated ids only; {@code promptTokenIds}
 * include BOS where the model adds one.
 */
public record GenerationResult(String text, int[] tokenIds, int[] promptTokenIds, StopReason stopReason,
                               GenerationTimings timings, int worldSize) {
}
