package io.isthmus.runtime.quant;

import io.isthmus.runtime.config.ConfigException;
import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.kernel.Quantize;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code format:} in model.yaml and {@code quantize --format}: converts every weight matrix of a
 * model to the format a spec names ({@link FormatTarget}). Vectors (norms, biases) keep their type.
 *
 * <ul>
 * <li>A GGUF type (f32, f16, bf16, q8_0, q4_0): every matrix, round to nearest as llama.cpp.</li>
 * <li>A packed family (int4, nf4, lut3+sparse, ...): every matrix but the vocabulary ones, which
 *     stay as they are when already block-quantized and become q8_0 otherwise — llama.cpp likewise
 *     keeps {@code token_embd}/{@code output} at higher precision (Q6_K) in its low-bit files; token
 *     lookups and the tied output projection read them like any other matrix.</li>
 * </ul>
 * Matrices already in the target format are kept; others are dequantized and converted.
 */
public final class WeightFormats {
    /** Matrices that map to and from the vocabulary. */
    static final Set<String> VOCABULARY = Set.of("token_embd.weight", "output.weight");

    /** Told after each matrix: matrices done of the total, and the one just converted. */
    @FunctionalInterface
    public interface Progress {
        void matrixDone(int done, int total, String name);

        Progress NONE = (done, total, name) -> { };
    }

    private WeightFormats() {
    }

    /** {@code weights} converted to {@code format} (null: unchanged), without calibration. */
    public static ModelWeights convert(ModelWeights weights, FormatSpec format) {
        return convert(weights, format, null, Progress.NONE);
    }

    /**
     * {@code weights} converted to {@code format} to compute with (a model's format at load): each newly
     * packed matrix is bound as its family binds it ({@link PackedFormat#bind}), and where that is a
     * copy, the packed form is made in a scratch arena and dropped, so the weights are not held twice.
     */
    public static ModelWeights convertForCompute(ModelWeights weights, FormatSpec format) {
        return convert(weights, format, null, Progress.NONE, true);
    }

    /**
     * {@code weights} converted to {@code format}; {@code calibration} (may be null) guides the packed
     * families' searches. Errors name the format and the tensor. The result owns {@code weights}:
     * closing it closes them.
     */
    public static ModelWeights convert(ModelWeights weights, FormatSpec format, Calibration calibration,
                                       Progress progress) {
        return convert(weights, format, calibration, progress, false);
    }

    private static ModelWeights convert(ModelWeights weights, FormatSpec format, Calibration calibration,
                                        Progress progress, boolean bind) {
        if (format == null) {
            return weights;
        }
        FormatTarget target = FormatTarget.of(format);
        List<String> names = new ArrayList<>();
        weights.tensors().values().stream().filter(ModelWeights::isMatrix).forEach(t -> names.add(t.name()));
        names.addAll(weights.packed().keySet());
        Arena arena = Arena.ofShared();
        try {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, WeightMatrix> packed = new LinkedHashMap<>();
            for (Tensor t : weights.tensors().values()) {
                if (!ModelWeights.isMatrix(t)) {
                    tensors.put(t.name(), t);
                }
            }
            int done = 0;
            for (String name : names) {
                WeightMatrix m = weights.packed().get(name);
                Tensor t = m == null ? weights.tensor(name) : null;
                switch (target) {
                    case FormatTarget.Gguf g -> tensors.put(name, t != null && t.type() == g.type() ? t
                            : Quantize.quantize(arena, name, g.type(), values(weights, name), 0, rows(t, m), cols(t, m)));
                    case FormatTarget.Packed p -> {
                        if (VOCABULARY.contains(name)) {
                            tensors.put(name, t != null && t.type().blockSize() > 1 ? t
                                    : Quantize.quantize(arena, name, GgmlType.Q8_0, values(weights, name), 0, rows(t, m), cols(t, m)));
                        } else if (m != null && m.format().equals(p.spec().spec())) {
                            packed.put(name, m);
                        } else {
                            packed.put(name, pack(weights, p, name, rows(t, m), cols(t, m), calibration, arena, bind));
                        }
                    }
                }
                progress.matrixDone(++done, names.size(), name);
            }
            return new ModelWeights(weights.config(), tensors, packed, weights.source(), () -> {
                arena.close();
                weights.close();
            });
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static WeightMatrix pack(ModelWeights weights, FormatTarget.Packed p, String name, int rows, int cols,
                                     Calibration calibration, Arena arena, boolean bind) {
        try {
            if (bind && p.family().bindsToCopy()) {
                try (Arena scratch = Arena.ofShared()) { // the family's quantizer may fill rows in parallel
                    return p.family().bind(p.family().quantize(name, values(weights, name), rows, cols, p.spec(),
                            calibration, scratch), arena);
                }
            }
            return p.family().quantize(name, values(weights, name), rows, cols, p.spec(), calibration, arena);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(weights.source() + ": format '" + p.spec().spec() + "' cannot hold tensor '"
                    + name + "' (" + rows + "×" + cols + "): " + e.getMessage(), e);
        }
    }

    private static float[] values(ModelWeights weights, String name) {
        return weights.matrix(name).dequantizeAll();
    }

    private static int rows(Tensor t, WeightMatrix m) {
        return t != null ? t.rows() : m.rows();
    }

    private static int cols(Tensor t, WeightMatrix m) {
        return t != null ? t.cols() : m.cols();
    }
}
