package io.isthmus.runtime.kernel;

import java.util.Objects;

/**
 * The row loop of {@link RowTiledKernel} for weight formats that are not GGUF tensors (the packed
 * formats of {@code quant}): for each weight row, one pass per tile of up to four x rows, so a row
 * is decoded once per tile and read from DRAM once. The format supplies the dot products of one row.
 */
public final class RowTiles {

    /** Dot products of one weight row with x rows of {@code k} floats. */
    public interface RowDots {

        /** Σ_c W[row][c]·x[xo + c]. */
        float dot1(int row, float[] x, int xo);

        /** The same for four x rows at once, results in {@code out[0..3]}. */
        void dot4(int row, float[] x, int x0, int x1, int x2, int x3, float[] out);
    }

    private RowTiles() {
    }

    /**
     * {@code y[i][r] = Σ_c W[r][c]·x[i][c]} for r in {@code [rowFrom, rowTo)} of an {@code n × k}
     * matrix and every {@code i < m}, with the contract of {@link WeightMatrix#matmul}.
     */
    public static void matmul(RowDots w, int n, int k, float[] x, int xOff, int m, float[] y, int yOff,
                              int rowFrom, int rowTo) {
        Objects.checkFromToIndex(rowFrom, rowTo, n);
        Objects.checkFromIndexSize(xOff, (long) m * k > Integer.MAX_VALUE ? -1 : m * k, x.length);
        Objects.checkFromIndexSize(yOff, (long) m * n > Integer.MAX_VALUE ? -1 : m * n, y.length);
        float[] out = new float[4];
        for (int r = rowFrom; r < rowTo; r++) {
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                int xo = xOff + i * k;
                w.dot4(r, x, xo, xo + k, xo + 2 * k, xo + 3 * k, out);
                for (int j = 0; j < 4; j++) {
                    y[yOff + (i + j) * n + r] = out[j];
                }
            }
            int left = m - i;
            if (left == 1) {
                y[yOff + i * n + r] = w.dot1(r, x, xOff + i * k);
            } else if (left > 1) { // 2 or 3 rows: one 4-tile, repeating the last row
                int x0 = xOff + i * k;
                int x1 = x0 + k;
                int x2 = left == 3 ? x1 + k : x1;
                w.dot4(r, x, x0, x1, x2, x2, out);
                for (int j = 0; j < left; j++) {
                    y[yOff + (i + j) * n + r] = out[j];
                }
            }
        }
    }
}
