package io.isthmus.runtime.kernel;

import java.util.Objects;

/**
 * The loop every vector kernel shares: for each weight row, one pass per tile of up to four x rows
 * (four weight rows together where there are four x rows, so a kernel may share x loads as well),
 * so a weight row is decoded once per tile and comes from DRAM once (a 4096-wide row is at most
 * 16 KiB, still in L1/L2 for the next tile, and the m × k activations stay in L2 for the small m of
 * decode and short prefill). A single x row (decode) goes four weight rows at a time instead, so a
 * kernel may load each slice of x once for four rows. Formats supply the dot products.
 */
public final class RowTiles {

    /** Dot products of one weight row with x rows: what a format's kernel supplies. */
    public interface RowDots {

        /** Σ_c W[row][c]·x[xo + c] over the row's {@code k} columns. */
        float dot1(int row, float[] x, int xo);

        /** The same for four x rows at once, results in {@code out[0..3]}. */
        void dot4(int row, float[] x, int x0, int x1, int x2, int x3, float[] out);

        /**
         * Rows {@code row .. row + 3} ({@code row} a multiple of four) each with the one x row at {@code xo}, results in
         * {@code out[0..3]}: what a single x row (decode) goes through, four weight rows at a time.
         * A format whose kernel shares the x loads across the four rows overrides this.
         */
        default void rows4(int row, float[] x, int xo, float[] out) {
            for (int j = 0; j < 4; j++) {
                out[j] = dot1(row + j, x, xo);
            }
        }

        /**
         * Rows {@code row .. row + 3} each with four x rows: {@code out[4 * j + i]} = weight row
         * {@code row + j} · x row i. What a batch of four or more x rows goes through; a format whose
         * kernel shares the x loads across the four weight rows overrides this.
         */
        default void tile4x4(int row, float[] x, int x0, int x1, int x2, int x3, float[] out) {
            for (int j = 3; j >= 0; j--) { // each row's four land in out[0..3] first, row 0's stay there
                dot4(row + j, x, x0, x1, x2, x3, out);
                System.arraycopy(out, 0, out, 4 * j, 4);
            }
        }
    }

    private RowTiles() {
    }

    /**
     * {@code y[i][r] = Σ_c W[r][c]·x[i][c]} for r in {@code [rowFrom, rowTo)} of an {@code n × k}
     * matrix and every {@code i < m}, with x and y row-major from their offsets (see
     * {@link WeightMatrix#matmul}).
     */
    public static void matmul(RowDots dots, int n, int k, float[] x, int xOff, int m, float[] y, int yOff,
                              int rowFrom, int rowTo) {
        Objects.checkFromToIndex(rowFrom, rowTo, n);
        Objects.checkFromIndexSize(xOff, (long) m * k > Integer.MAX_VALUE ? -1 : m * k, x.length);
        Objects.checkFromIndexSize(yOff, (long) m * n > Integer.MAX_VALUE ? -1 : m * n, y.length);
        float[] out = new float[4];
        if (m == 1) {
            int r = rowFrom;
            for (; r < rowTo && r % 4 != 0; r++) { // groups start at multiples of four, as formats that store rows in fours need
                y[yOff + r] = dots.dot1(r, x, xOff);
            }
            for (; r + 4 <= rowTo; r += 4) {
                dots.rows4(r, x, xOff, out);
                System.arraycopy(out, 0, y, yOff + r, 4);
            }
            for (; r < rowTo; r++) {
                y[yOff + r] = dots.dot1(r, x, xOff);
            }
            return;
        }
        int r = rowFrom;
        // Four weight rows at a time only where each group of four is reused for two or more x tiles
        // (prefill): a decode batch of 4-7 rows (beams, concurrent requests) reads every weight row once,
        // from DRAM, and four rows at once are four streams the prefetcher does not keep ahead of (beam 4
        // on prose-llama f16 at 2 threads: 2.84-3.41 ms/token one row at a time against 3.19-3.99)
        if (m >= 8) {
            float[] tile = new float[16];
            for (; r + 4 <= rowTo; r += 4) {
                int i = 0;
                for (; i + 4 <= m; i += 4) {
                    int xo = xOff + i * k;
                    dots.tile4x4(r, x, xo, xo + k, xo + 2 * k, xo + 3 * k, tile);
                    for (int j = 0; j < 4; j++) {
                        for (int t = 0; t < 4; t++) {
                            y[yOff + (i + t) * n + r + j] = tile[4 * j + t];
                        }
                    }
                }
                for (int j = 0; j < 4; j++) {
                    rowFrom(dots, r + j, i, k, x, xOff, m, y, yOff, n, out);
                }
            }
        }
        for (; r < rowTo; r++) {
            rowFrom(dots, r, 0, k, x, xOff, m, y, yOff, n, out);
        }
    }

    /** Weight row r with x rows {@code first..m-1}: four at a time, then what is left. */
    private static void rowFrom(RowDots dots, int r, int first, int k, float[] x, int xOff, int m, float[] y, int yOff,
                                int n, float[] out) {
        int i = first;
        for (; i + 4 <= m; i += 4) {
            int xo = xOff + i * k;
            dots.dot4(r, x, xo, xo + k, xo + 2 * k, xo + 3 * k, out);
            for (int j = 0; j < 4; j++) {
                y[yOff + (i + j) * n + r] = out[j];
            }
        }
        int left = m - i;
        if (left == 1) {
            y[yOff + i * n + r] = dots.dot1(r, x, xOff + i * k);
        } else if (left > 1) { // 2 or 3 rows: one 4-tile, repeating the last row
            int x0 = xOff + i * k;
            int x1 = x0 + k;
            int x2 = left == 3 ? x1 + k : x1;
            dots.dot4(r, x, x0, x1, x2, x2, out);
            for (int j = 0; j < left; j++) {
                y[yOff + (i + j) * n + r] = out[j];
            }
        }
    }
}
