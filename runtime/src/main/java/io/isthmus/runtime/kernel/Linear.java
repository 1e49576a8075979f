package io.isthmus.runtime.kernel;

import io.isthmus.runtime.tensor.Tensor;

/**
 * Matrix products split across a {@link ComputePool} by output rows. x is first copied to a 64-byte
 * boundary of the calling thread's staging array ({@link AlignedFloats}), so that the kernels' vector
 * loads of it never straddle cache lines.
 */
public final class Linear {

    /** Output rows per chunk: ranges start at multiples of this, so threads never share a cache line of y. */
    public static final int ROW_GRAIN = 16;

    private Linear() {
    }

    /** {@code y[i][r] = Σ_c w[r][c]·x[i][c]} for {@code m} rows of x (m × w.cols()) into y (m × w.rows()). */
    public static void matmul(ComputePool pool, Tensor w, float[] x, int m, float[] y) {
        matmul(pool, TensorMatrix.of(w), x, 0, m, y, 0);
    }

    /** As {@link #matmul(ComputePool, Tensor, float[], int, float[])} for any weight format. */
    public static void matmul(ComputePool pool, WeightMatrix w, float[] x, int m, float[] y) {
        matmul(pool, w, x, 0, m, y, 0);
    }

    /** The same with x and y starting at offsets. */
    public static void matmul(ComputePool pool, WeightMatrix w, float[] x, int xOff, int m, float[] y, int yOff) {
        if (w.matmulWhole(pool, x, xOff, m, y, yOff)) {
            return;
        }
        AlignedFloats.Span in = AlignedFloats.stage(x, xOff, Math.multiplyExact(m, w.cols()));
        RowProduct product = w.product(in.array(), in.offset(), m, y, yOff);
        pool.parallelForBalanced(w.rows(), ROW_GRAIN, (from, to, worker) -> product.rows(from, to));
    }

    /**
     * Several matrices applied to the same input in ONE parallel region (Q, K and V; gate and up):
     * their rows are split across the pool together, which saves hand-offs and balances small
     * matrices. {@code ys[i]} receives m rows of {@code ws[i].rows()} floats. Where every matrix has
     * a whole-product path for m rows (oneDNN), each takes it instead.
     */
    public static void matmul(ComputePool pool, WeightMatrix[] ws, float[] x, int m, float[][] ys) {
        int[] starts = new int[ws.length + 1];
        for (int i = 0; i < ws.length; i++) {
            if (ws[i].cols() != ws[0].cols()) {
                throw new IllegalArgumentException("fused matrices differ in input size: " + ws[0].name()
                        + " has " + ws[0].cols() + " columns, " + ws[i].name() + " " + ws[i].cols());
            }
            starts[i + 1] = starts[i] + ws[i].rows();
        }
        if (ws[0].matmulWhole(pool, x, 0, m, ys[0], 0)) {
            for (int i = 1; i < ws.length; i++) {
                matmul(pool, ws[i], x, 0, m, ys[i], 0);
            }
            return;
        }
        AlignedFloats.Span in = AlignedFloats.stage(x, 0, Math.multiplyExact(m, ws[0].cols()));
        RowProduct[] products = new RowProduct[ws.length];
        for (int i = 0; i < ws.length; i++) {
            products[i] = ws[i].product(in.array(), in.offset(), m, ys[i], 0);
        }
        pool.parallelForBalanced(starts[ws.length], ROW_GRAIN, (from, to, worker) -> {
            for (int i = 0; i < ws.length; i++) {
                int lo = Math.max(from, starts[i]);
                int hi = Math.min(to, starts[i + 1]);
                if (lo < hi) {
                    products[i].rows(lo - starts[i], hi - starts[i]);
                }
            }
        });
    }
}
