package io.isthmus.runtime.model;

import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.Linear;
import io.isthmus.runtime.tensor.Tensor;

/** y = x·Wᵀ (+ bias) for m input rows: a weight matrix of {@code out × in} and an optional bias. */
record Projection(Tensor weight, float[] bias) {

    int in() {
        return weight.cols();
    }

    int out() {
        return weight.rows();
    }

    /** x holds m rows of {@link #in()} floats, y receives m rows of {@link #out()} floats. */
    void apply(ComputePool pool, float[] x, int m, float[] y) {
        Linear.matmul(pool, weight, x, m, y);
        if (bias != null) {
            int n = out();
            for (int i = 0; i < m; i++) {
                for (int r = 0; r < n; r++) {
                    y[i * n + r] += bias[r];
                }
            }
        }
    }

    /** Bytes of weights one application reads. */
    long weightBytes() {
        return weight.byteSize();
    }
}
