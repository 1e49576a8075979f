package io.isthmus.runtime.kernel;

import java.util.Objects;

/**
 * The loop every vector kernel shares. A single x row (decode) goes four weight rows at a time, so
 * a kernel may load each slice of x once for four rows. Several x rows (beams, a decode batch, a
 * prefill chunk) go in tiles of up to four x rows, one weight row at a time, so a kernel may load
 * each weight slice once for four x rows; or, where the format supplies a {@link PairTile}, two
 * weight rows at a time, so that each x load also serves both. A row or pair (at most 2 × 16 KiB
 * for a 4096-wide f16 row) stays in L1/L2 from one tile to the next, so it comes from DRAM once.
 * Formats supply the dot products.
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

        /** The format's two-row tile for this product's x rows, or null when it has none (or it does not pay for them). */
        default PairTile pairTile() {
            return null;
        }
    }

    /** Two weight rows with four x rows at once, each x load serving both rows and each weight load the four x rows. */
    @FunctionalInterface
    public interface PairTile {

        /**
         * Rows {@code row} and {@code row + 1} ({@code row} even) each with the x rows at
         * {@code x0..x3}: {@code out[4 * j + i]} = weight row {@code row + j} · x row i.
         */
        void tile2x4(int row, float[] x, int x0, int x1, int x2, int x3, float[] out);
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
        PairTile pairs = dots.pairTile();
        if (pairs != null) {
            if (r % 2 != 0 && r < rowTo) { // pairs start at even rows, as formats that store rows in pairs need
                oneRow(dots, r++, k, x, xOff, m, y, yOff, n, out);
            }
            float[] tile = new float[8];
            for (; r + 2 <= rowTo; r += 2) {
                pair(pairs, r, k, x, xOff, m, y, yOff, n, tile);
            }
        }
        for (; r < rowTo; r++) {
            oneRow(dots, r, k, x, xOff, m, y, yOff, n, out);
        }
    }

    /** Weight rows r and r + 1 with every x row, four at a time (1-3 left fill a tile by repeating the last). */
    private static void pair(PairTile pairs, int r, int k, float[] x, int xOff, int m, float[] y, int yOff, int n,
                             float[] tile) {
        for (int i = 0; i < m; i += 4) {
            int left = Math.min(4, m - i);
            int x0 = xOff + i * k;
            pairs.tile2x4(r, x, x0, tileRow(x0, k, left, 1), tileRow(x0, k, left, 2), tileRow(x0, k, left, 3), tile);
            for (int t = 0; t < left; t++) {
                y[yOff + (i + t) * n + r] = tile[t];
                y[yOff + (i + t) * n + r + 1] = tile[4 + t];
            }
        }
    }

    /** Weight row r with every x row, four at a time. */
    private static void oneRow(RowDots dots, int r, int k, float[] x, int xOff, int m, float[] y, int yOff, int n,
                                float[] out) {
        for (int i = 0; i < m; i += 4) {
            int left = Math.min(4, m - i);
            int x0 = xOff + i * k;
            if (left == 1) {
                y[yOff + i * n + r] = dots.dot1(r, x, x0);
                continue;
            }
            dots.dot4(r, x, x0, tileRow(x0, k, left, 1), tileRow(x0, k, left, 2), tileRow(x0, k, left, 3), out);
            for (int t = 0; t < left; t++) {
                y[yOff + (i + t) * n + r] = out[t];
            }
        }
    }

    /** Offset of x row t of a tile of {@code left} rows from x0 (1-3 rows fill a tile of four by repeating the last). */
    private static int tileRow(int x0, int k, int left, int t) {
        return x0 + Math.min(t, left - 1) * k;
    }
}
