package io.isthmus.runtime.model;

import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.Linear;
import io.isthmus.runtime.kernel.Ops;
import io.isthmus.runtime.kernel.WeightMatrix;

/**
 * y = x·Wᵀ (+ bias) for m input rows: a weight matrix of {@code out × in} and an optional bias;
 * {@code observer}, normally null, sees each input (calibration).
 */
record Projection(WeightMatrix weight, float[] bias, InputObserver observer) {

    Projection(WeightMatrix weight, float[] bias) {
        this(weight, bias, null);
    }

    int in() {
        return weight.cols();
    }

    int out() {
        return weight.rows();
    }

    /** x holds m rows of {@link #in()} floats, y receives m rows of {@link #out()} floats. */
    void apply(ComputePool pool, float[] x, int m, float[] y) {
        observe(x, m);
        Linear.matmul(pool, weight, x, m, y);
        addBias(y, m);
    }

    /** Applies several projections of the same input in one parallel region. */
    static void applyAll(ComputePool pool, Projection[] ps, float[] x, int m, float[][] ys) {
        WeightMatrix[] ws = new WeightMatrix[ps.length];
        for (int i = 0; i < ps.length; i++) {
            ws[i] = ps[i].weight;
            ps[i].observe(x, m);
        }
        Linear.matmul(pool, ws, x, m, ys);
        for (int i = 0; i < ps.length; i++) {
            ps[i].addBias(ys[i], m);
        }
    }

    private void observe(float[] x, int m) {
        if (observer != null) {
            observer.observe(weight.name(), x, m, weight.cols());
        }
    }

    private void addBias(float[] y, int m) {
        if (bias != null) {
            int n = out();
            for (int i = 0; i < m; i++) {
                Ops.add(y, i * n, y, i * n, bias, 0, n);
            }
        }
    }

    /** Bytes of weights one application reads. */
    long weightBytes() {
        return weight.byteSize();
    }
}
