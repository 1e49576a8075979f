package io.isthmus.runtime.model;

import io.isthmus.runtime.kernel.Ops;

/** RMSNorm (bias null) or LayerNorm (with bias), applied row by row. */
record Norm(float[] weight, float[] bias, float eps) {

    void apply(float[] out, float[] x, int m, int dim) {
        for (int i = 0; i < m; i++) {
            int off = i * dim;
            if (bias == null) {
                Ops.rmsNorm(out, off, x, off, weight, 0, eps, dim);
            } else {
                Ops.layerNorm(out, off, x, off, weight, 0, bias, 0, eps, dim);
            }
        }
    }
}
