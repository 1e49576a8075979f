package io.isthmus.runtime.quant.sparse;

import java.util.BitSet;

/**
 * Picks the outliers of a matrix: the given fraction of its positions with the largest
 * sensitivity-weighted magnitude {@code |w[r][c]|·√s[c]} (plain {@code |w|} without calibration),
 * i.e. the largest contributions {@code s[c]·w²} to the weighted error. The cut-off is found
 * exactly by a two-pass radix select over the scores' float bits, so no score array is kept.
 */
final class OutlierSelection {

    private OutlierSelection() {
    }

    /** Bit {@code r * cols + c} set for each chosen position; exactly round(percent/100 · rows · cols) of them. */
    static BitSet select(String tensorName, float[] w, int rows, int cols, float[] sensitivity, double percent) {
        int n = Math.multiplyExact(rows, cols);
        int count = (int) Math.round(percent / 100 * n);
        BitSet chosen = new BitSet(n);
        if (count == 0) {
            return chosen;
        }
        float[] scale = new float[cols];
        for (int c = 0; c < cols; c++) {
            scale[c] = sensitivity == null ? 1 : (float) Math.sqrt(sensitivity[c]);
        }
        for (int p = 0; p < n; p++) {
            if (!Float.isFinite(w[p])) {
                throw new IllegalArgumentException("tensor '" + tensorName + "' has " + w[p] + " at row "
                        + p / cols + ", column " + p % cols);
            }
        }
        // scores are non-negative floats: their bit patterns order like their values
        int[] high = new int[1 << 16];
        for (int r = 0, p = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++, p++) {
                high[score(w[p], scale[c]) >>> 16]++;
            }
        }
        int top = 1 << 16, above = 0;
        while (above + high[--top] < count) {
            above += high[top];
        }
        int[] low = new int[1 << 16];
        for (int r = 0, p = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++, p++) {
                int bits = score(w[p], scale[c]);
                if (bits >>> 16 == top) {
                    low[bits & 0xFFFF]++;
                }
            }
        }
        int bottom = 1 << 16;
        while (above + low[--bottom] < count) {
            above += low[bottom];
        }
        int cut = top << 16 | bottom;
        int atCut = count - above; // how many scores equal to the cut-off to take, first ones first
        for (int r = 0, p = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++, p++) {
                int bits = score(w[p], scale[c]);
                if (bits > cut || bits == cut && atCut-- > 0) {
                    chosen.set(p);
                }
            }
        }
        return chosen;
    }

    private static int score(float w, float scale) {
        return Float.floatToRawIntBits(Math.abs(w) * scale);
    }
}
