package io.isthmus.runtime.kernel;

import io.isthmus.runtime.tensor.Tensor;

/**
 * The straightforward path for types without a dedicated vector kernel (Q4_K, Q6_K): dequantize
 * one weight row into a float buffer with the reference dequantizer, then take vector dot products
 * with every x row, so each weight row is still read once.
 */
final class DequantizingKernel implements MatMulKernel {

    @Override
    public void matmul(Tensor w, float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
        int k = w.cols();
        int n = w.rows();
        float[] row = new float[k];
        for (int r = rowFrom; r < rowTo; r++) {
            Dequantize.row(w, r, row, 0);
            for (int i = 0; i < m; i++) {
                y[yOff + i * n + r] = Ops.dot(row, 0, x, xOff + i * k, k);
            }
        }
    }
}
