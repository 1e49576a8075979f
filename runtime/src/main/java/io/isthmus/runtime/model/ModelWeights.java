package io.isthmus.runtime.model;

import io.isthmus.runtime.format.ModelFormatException;
import io.isthmus.runtime.kernel.Dequantize;
import io.isthmus.runtime.kernel.MatMulKernels;
import io.isthmus.runtime.kernel.TensorMatrix;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.tensor.Tensor;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model's configuration and its tensors under llama.cpp's canonical names ({@code token_embd.weight},
 * {@code blk.N.attn_q.weight}, {@code output_norm.weight}, ...), whatever file format they came from.
 * Weight matrices in a packed format of {@code quant} (nf4, lut3, fp6, ...) are in {@code packed};
 * everything else, in a GGUF type, in {@code tensors}. A name is in one map or the other.
 * Tensors stay valid until {@link #close()}.
 */
public record ModelWeights(ModelConfig config, Map<String, Tensor> tensors, Map<String, WeightMatrix> packed,
                           Path source, AutoCloseable resources) implements AutoCloseable {

    public ModelWeights {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors)); // keeps the file's order
        packed = Collections.unmodifiableMap(new LinkedHashMap<>(packed));
        for (String name : packed.keySet()) {
            if (tensors.containsKey(name)) {
                throw new IllegalArgumentException(source + ": tensor '" + name + "' is both packed and plain");
            }
        }
    }

    /** Weights whose matrices are all in GGUF types. */
    public ModelWeights(ModelConfig config, Map<String, Tensor> tensors, Path source, AutoCloseable resources) {
        this(config, tensors, Map.of(), source, resources);
    }

    /** Whether {@code t} is a weight matrix (two dimensions, more than one row), not a norm or bias vector. */
    public static boolean isMatrix(Tensor t) {
        return t.shape().length == 2 && t.rows() > 1 && t.name().endsWith(".weight");
    }

    /** The tensor {@code name}, or an error naming it and the model file. */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new ModelFormatException(source + ": missing tensor '" + name + "'"
                    + (packed.containsKey(name) ? " in a GGUF type (it is packed as " + packed.get(name).format() + ")" : ""));
        }
        return t;
    }

    /** The tensor {@code name}, or null when the model has none (optional biases, untied output). */
    public Tensor optional(String name) {
        return tensors.get(name);
    }

    /** Whether the model has {@code name}, plain or packed. */
    public boolean has(String name) {
        return tensors.containsKey(name) || packed.containsKey(name);
    }

    /** The weight matrix {@code name} in whichever format it is stored, or an error naming it. */
    public WeightMatrix matrix(String name) {
        WeightMatrix m = optionalMatrix(name);
        if (m == null) {
            throw new ModelFormatException(source + ": missing tensor '" + name + "'");
        }
        return m;
    }

    /** The weight matrix {@code name}, or null when the model has none. */
    public WeightMatrix optionalMatrix(String name) {
        WeightMatrix m = packed.get(name);
        if (m != null) {
            return m;
        }
        Tensor t = tensors.get(name);
        if (t == null) {
            return null;
        }
        if (!MatMulKernels.supports(t.type()) || !Dequantize.supports(t.type())) {
            throw new ModelFormatException(source + ": tensor '" + name + "' has type " + t.type()
                    + ", which Isthmus cannot compute yet (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)");
        }
        return TensorMatrix.of(t);
    }

    @Override
    public void close() {
        try {
            resources.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing " + source, e);
        }
    }
}
