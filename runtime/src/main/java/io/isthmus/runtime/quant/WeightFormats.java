package io.isthmus.runtime.quant;

import io.isthmus.runtime.config.ConfigException;
import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.kernel.Dequantize;
import io.isthmus.runtime.kernel.Quantize;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code format:} in model.yaml: converts every weight matrix to the named type at load
 * (round to nearest). Vectors (norms, biases) keep their type.
 */
public final class WeightFormats {
    private static final Map<String, GgmlType> FORMATS = Map.of(
            "f32", GgmlType.F32, "f16", GgmlType.F16, "bf16", GgmlType.BF16,
            "q8_0", GgmlType.Q8_0, "q4_0", GgmlType.Q4_0);

    private WeightFormats() {
    }

    public static ModelWeights convert(ModelWeights weights, FormatSpec format) {
        if (format == null) {
            return weights;
        }
        PackedFormat family = PackedFormats.forSpec(format);
        if (family != null) {
            return pack(weights, family, family.resolve(format));
        }
        GgmlType target = FORMATS.get(format.name().toLowerCase(Locale.ROOT));
        if (target == null || format.groupSize().isPresent() || format.sparse()) {
            throw new ConfigException("format '" + format.spec() + "' is not supported by this build (supported: "
                    + String.join(", ", new java.util.TreeSet<>(FORMATS.keySet())) + ", "
                    + String.join(", ", PackedFormats.names()) + ")");
        }
        Arena arena = Arena.ofShared();
        Map<String, Tensor> converted = new LinkedHashMap<>();
        for (Tensor t : weights.tensors().values()) {
            boolean matrix = t.shape().length == 2 && t.rows() > 1 && t.name().endsWith(".weight");
            if (!matrix || t.type() == target) {
                converted.put(t.name(), t);
                continue;
            }
            float[] values = Dequantize.all(t);
            converted.put(t.name(), Quantize.quantize(arena, t.name(), target, values, 0, t.rows(), t.cols()));
        }
        return new ModelWeights(weights.config(), converted, weights.source(), () -> {
            arena.close();
            weights.close();
        });
    }

    /** Every weight matrix quantized into a packed family (no calibration); vectors keep their type. */
    private static ModelWeights pack(ModelWeights weights, PackedFormat family, FormatSpec spec) {
        Arena arena = Arena.ofShared();
        Map<String, Tensor> plain = new LinkedHashMap<>();
        Map<String, io.isthmus.runtime.kernel.WeightMatrix> packed = new LinkedHashMap<>(weights.packed());
        for (Tensor t : weights.tensors().values()) {
            boolean matrix = t.shape().length == 2 && t.rows() > 1 && t.name().endsWith(".weight");
            if (matrix) {
                packed.put(t.name(), family.quantize(t.name(), Dequantize.all(t), t.rows(), t.cols(), spec, null, arena));
            } else {
                plain.put(t.name(), t);
            }
        }
        return new ModelWeights(weights.config(), plain, packed, weights.source(), () -> {
            arena.close();
            weights.close();
        });
    }
}
