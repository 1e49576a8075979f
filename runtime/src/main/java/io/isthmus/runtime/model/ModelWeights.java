package io.isthmus.runtime.model;

import io.isthmus.runtime.format.ModelFormatException;
import io.isthmus.runtime.tensor.Tensor;

import java.nio.file.Path;
import java.util.Map;

/**
 * A model's configuration and its tensors under llama.cpp's canonical names ({@code token_embd.weight},
 * {@code blk.N.attn_q.weight}, {@code output_norm.weight}, ...), whatever file format they came from.
 * Tensors stay valid until {@link #close()}.
 */
public record ModelWeights(ModelConfig config, Map<String, Tensor> tensors, Path source, AutoCloseable resources)
        implements AutoCloseable {

    /** The tensor {@code name}, or an error naming it and the model file. */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new ModelFormatException(source + ": missing tensor '" + name + "'");
        }
        return t;
    }

    /** The tensor {@code name}, or null when the model has none (optional biases, untied output). */
    public Tensor optional(String name) {
        return tensors.get(name);
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
