package io.isthmus.runtime.kernel;

import io.isthmus.runtime.tensor.Tensor;

/** Matrix products split across a {@link ComputePool} by output rows. */
public final class Linear {

    /** Output rows per chunk: ranges start at multiples of this, so threads never share a cache line of y. */
    public static final int ROW_GRAIN = 16;

    private Linear() {
    }

    /** {@code y[i][r] = Σ_c w[r][c]·x[i][c]} for {@code m} rows of x (m × w.cols()) into y (m × w.rows()). */
    public static void matmul(ComputePool pool, Tensor w, float[] x, int m, float[] y) {
        matmul(pool, w, x, 0, m, y, 0);
    }

    /** As {@link #matmul(ComputePool, Tensor, float[], int, float[])} with x and y starting at offsets. */
    public static void matmul(ComputePool pool, Tensor w, float[] x, int xOff, int m, float[] y, int yOff) {
        MatMulKernel kernel = MatMulKernels.forType(w.type());
        pool.parallelFor(w.rows(), ROW_GRAIN,
                (from, to, worker) -> kernel.matmul(w, x, xOff, m, y, yOff, from, to));
    }
}
