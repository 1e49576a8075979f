package io.isthmus.runtime.model;

import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.Ops;

/** RMSNorm (bias null) or LayerNorm (with bias), applied row by row. */
record Norm(float[] weight, float[] bias, float eps) {

    /** The m rows of x, normalized into out; rows split over the pool when there are enough of them. */
    void apply(ComputePool pool, float[] out, float[] x, int m, int dim) {
        pool.parallelFor(m, Transformer.rowGrain(dim), (from, to, worker) -> apply(out, x, from, to, dim));
    }

    private void apply(float[] out, float[] x, int fromRow, int toRow, int dim) {
        for (int i = fromRow; i < toRow; i++) {
            int off = i * dim;
            if (bias == null) {
                Ops.rmsNorm(out, off, x, off, weight, 0, eps, dim);
            } else {
                Ops.layerNorm(out, off, x, off, weight, 0, bias, 0, eps, dim);
            }
        }
    }
}
