package io.isthmus.runtime.model;

import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.tensor.Tensor;

import java.util.Comparator;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a model's weight matrices are stored as: their formats, most weights first (e.g.
 * {@code q4_0,q6_k} for llama.cpp's Q4_0 file with its Q6_K embedding), and bytes per weight in
 * those formats' own encodings ({@link WeightMatrix#formatBytes}). Vectors (norms, biases) are not
 * counted.
 */
public record WeightSummary(String formats, long weights, long bytes) {

    public double bitsPerWeight() {
        return weights == 0 ? 0 : 8.0 * bytes / weights;
    }

    public static WeightSummary of(ModelWeights model) {
        Map<String, Long> byFormat = new HashMap<>();
        long weights = 0;
        long bytes = 0;
        for (Tensor t : model.tensors().values()) {
            if (ModelWeights.isMatrix(t)) {
                byFormat.merge(t.type().name().toLowerCase(Locale.ROOT), t.elementCount(), Long::sum);
                weights += t.elementCount();
                bytes += t.byteSize();
            }
        }
        for (WeightMatrix m : model.packed().values()) {
            long n = (long) m.rows() * m.cols();
            byFormat.merge(m.format(), n, Long::sum);
            weights += n;
            bytes += m.formatBytes(); // the format's bits, not a faster layout's in memory
        }
        String formats = byFormat.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()))
                .map(Map.Entry::getKey).collect(Collectors.joining(","));
        return new WeightSummary(formats, weights, bytes);
    }
}
