package io.isthmus.runtime.kernel;

import io.isthmus.runtime.tensor.Tensor;

/**
 * {@code y = x · Wᵀ} for a slice of output rows. {@code x} holds {@code m} rows of
 * {@code k = w.cols()} floats, row-major from {@code xOff}; {@code y} holds {@code m} rows of
 * {@code n = w.rows()} floats from {@code yOff}. Computes {@code y[i][r] = Σ_c W[r][c]·x[i][c]}
 * for {@code r} in {@code [rowFrom, rowTo)} and every {@code i < m}; other entries of y are left
 * alone, so disjoint row ranges may run on different threads.
 */
public interface MatMulKernel {

    void matmul(Tensor w, float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo);

    /**
     * The same product made ready for ranges of rows ({@link WeightMatrix#product}): what the kernel
     * derives from x is derived once, here. The default derives nothing.
     */
    default RowProduct product(Tensor w, float[] x, int xOff, int m, float[] y, int yOff) {
        return (rowFrom, rowTo) -> matmul(w, x, xOff, m, y, yOff, rowFrom, rowTo);
    }

    /**
     * Row {@code row} of {@code w} as floats into {@code out[off..off + w.cols())}: exactly the values
     * of {@link Dequantize#row}, decoded with vectors where the type has a decoder (dequantized tiles
     * for oneDNN decode whole matrices per product).
     */
    default void decodeRow(Tensor w, int row, float[] out, int off) {
        Dequantize.row(w, row, out, off);
    }
}
