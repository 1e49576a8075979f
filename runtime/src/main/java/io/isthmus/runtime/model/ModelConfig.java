package io.isthmus.runtime.model;

import io.isthmus.runtime.kernel.RopeStyle;

/**
 * Hyper-parameters of a decoder-only transformer, read from the model's own files.
 *
 * @param ropeDims       dimensions of each head that RoPE rotates (= headDim unless partial rotary)
 * @param ropeFreqScale  position scale of linear RoPE scaling (1 = none; 1/factor otherwise)
 */
public record ModelConfig(
        Architecture architecture,
        int dim,
        int ffnDim,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int vocabSize,
        int contextLength,
        float normEps,
        int ropeDims,
        double ropeTheta,
        double ropeFreqScale,
        RopeStyle ropeStyle,
        boolean parallelResidual,
        QkvLayout qkvLayout,
        Activation activation) {

    public ModelConfig {
        if (dim <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || headDim <= 0 || vocabSize <= 0 || ffnDim <= 0) {
            throw new IllegalArgumentException("invalid model dimensions: " + this);
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("head_count " + heads + " is not a multiple of head_count_kv " + kvHeads);
        }
        if (ropeDims > headDim || ropeDims % 2 != 0) {
            throw new IllegalArgumentException("rope dimension count " + ropeDims + " must be even and at most head dim " + headDim);
        }
    }

    public int qDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }
}
