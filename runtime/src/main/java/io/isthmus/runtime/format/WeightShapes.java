package io.isthmus.runtime.format;

import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.model.Activation;
import io.isthmus.runtime.model.ModelConfig;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.QkvLayout;
import io.isthmus.runtime.tensor.Tensor;

import java.util.Arrays;

import static io.isthmus.runtime.format.CanonicalNames.*;

/**
 * Checks that a model has every tensor its config needs, each of the shape the config implies, so a
 * wrong file fails at load time naming the tensor rather than deep inside a kernel.
 */
final class WeightShapes {
    private final ModelWeights w;

    private WeightShapes(ModelWeights w) {
        this.w = w;
    }

    static void check(ModelWeights weights) {
        new WeightShapes(weights).all();
    }

    private void all() {
        ModelConfig c = w.config();
        shape(weight(TOKEN_EMBD), c.dim(), c.vocabSize());
        if (w.has(weight(OUTPUT))) {
            shape(weight(OUTPUT), c.dim(), c.vocabSize());
        }
        module(OUTPUT_NORM, c.dim());
        for (int l = 0; l < c.layers(); l++) {
            module(blk(l, ATTN_NORM), c.dim());
            if (c.qkvLayout() == QkvLayout.SEPARATE) {
                module(blk(l, ATTN_Q), c.dim(), c.qDim());
                module(blk(l, ATTN_K), c.dim(), c.kvDim());
                module(blk(l, ATTN_V), c.dim(), c.kvDim());
            } else {
                module(blk(l, ATTN_QKV), c.dim(), c.qDim() + 2L * c.kvDim());
            }
            module(blk(l, ATTN_OUTPUT), c.qDim(), c.dim());
            module(blk(l, FFN_NORM), c.dim());
            if (c.activation() == Activation.SWIGLU) {
                module(blk(l, FFN_GATE), c.dim(), c.ffnDim());
            }
            module(blk(l, FFN_UP), c.dim(), c.ffnDim());
            module(blk(l, FFN_DOWN), c.ffnDim(), c.dim());
        }
    }

    /** A required weight of {@code shape} (ggml order) and an optional bias of its last dimension. */
    private void module(String name, long... shape) {
        shape(weight(name), shape);
        Tensor bias = w.optional(bias(name));
        if (bias != null) {
            shape(bias.name(), shape[shape.length - 1]);
        }
    }

    /** {@code name}'s shape in ggml order, a packed matrix's as {cols, rows}. */
    private long[] actual(String name) {
        WeightMatrix packed = w.packed().get(name);
        return packed != null ? new long[] {packed.cols(), packed.rows()} : w.tensor(name).shape();
    }

    private void shape(String name, long... expected) {
        long[] actual = actual(name);
        if (!Arrays.equals(actual, expected)) {
            throw new ModelFormatException(w.source() + ": tensor '" + name + "' has shape "
                    + Arrays.toString(actual) + ", expected " + Arrays.toString(expected) + " from the model config");
        }
    }
}
