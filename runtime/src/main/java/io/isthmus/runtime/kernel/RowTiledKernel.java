package io.isthmus.runtime.kernel;

import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The loop shared by the vector kernels: for each weight row, one pass per tile of up to four
 * x rows, so a weight row is decoded once per tile and comes from DRAM once (a 4096-wide row is at
 * most 16 KiB, still in L1/L2 for the next tile, and the m × k activations stay in L2 for the small
 * m of decode and short prefill). Subclasses supply the per-type dot products.
 */
abstract class RowTiledKernel implements MatMulKernel {

    private final GgmlType type;

    RowTiledKernel(GgmlType type) {
        this.type = type;
    }

    /** Σ_c W[row at off][c]·x[xo + c] for c < k. */
    abstract float dot1(MemorySegment w, long off, int k, float[] x, int xo);

    /** The same for four x rows at once, results in {@code out[0..3]}. */
    abstract void dot4(MemorySegment w, long off, int k, float[] x, int x0, int x1, int x2, int x3, float[] out);

    @Override
    public final void matmul(Tensor w, float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
        if (w.type() != type) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " cannot multiply " + w);
        }
        int k = w.cols();
        int n = w.rows();
        Objects.checkFromToIndex(rowFrom, rowTo, n);
        Objects.checkFromIndexSize(xOff, (long) m * k > Integer.MAX_VALUE ? -1 : m * k, x.length);
        Objects.checkFromIndexSize(yOff, (long) m * n > Integer.MAX_VALUE ? -1 : m * n, y.length);
        MemorySegment seg = w.data();
        long rowBytes = w.rowBytes();
        float[] out = new float[4];
        for (int r = rowFrom; r < rowTo; r++) {
            long off = r * rowBytes;
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                int xo = xOff + i * k;
                dot4(seg, off, k, x, xo, xo + k, xo + 2 * k, xo + 3 * k, out);
                for (int j = 0; j < 4; j++) {
                    y[yOff + (i + j) * n + r] = out[j];
                }
            }
            int left = m - i;
            if (left == 1) {
                y[yOff + i * n + r] = dot1(seg, off, k, x, xOff + i * k);
            } else if (left > 1) { // 2 or 3 rows: one 4-tile, repeating the last row
                int x0 = xOff + i * k;
                int x1 = x0 + k;
                int x2 = left == 3 ? x1 + k : x1;
                dot4(seg, off, k, x, x0, x1, x2, x2, out);
                for (int j = 0; j < left; j++) {
                    y[yOff + (i + j) * n + r] = out[j];
                }
            }
        }
    }

    /**
     * Σ W·x over the partial last block of a row whose length is not a multiple of the block size,
     * from the scalar dequantizer (0 when the row has no such block).
     */
    final float partialBlock(MemorySegment w, long off, int k, float[] x, int xo) {
        int bs = type.blockSize();
        int rest = k % bs;
        if (rest == 0) {
            return 0;
        }
        float[] v = new float[bs];
        Dequantize.block(type, w, off + (long) (k / bs) * type.blockBytes(), v, 0);
        return scalarDot(v, rest, x, xo + k - rest);
    }

    /** Dot product of the first {@code count} values of {@code w} with x from {@code xo}, for tails. */
    static float scalarDot(float[] w, int count, float[] x, int xo) {
        float s = 0;
        for (int c = 0; c < count; c++) {
            s += w[c] * x[xo + c];
        }
        return s;
    }
}
