package io.isthmus.runtime.quant.lookup;

import java.util.Arrays;

/** Round to nearest over a finite set of levels (a NormalFloat table, the FP6 values): binary search over midpoints. */
public final class NearestLevel {

    private final float[] sorted;
    private final int[] codes;
    private final float[] midpoints;

    /** Levels indexed by code; equal levels keep the lowest code. NaN levels are not allowed. */
    public NearestLevel(float[] levels) {
        Integer[] order = new Integer[levels.length];
        for (int i = 0; i < levels.length; i++) {
            if (Float.isNaN(levels[i])) {
                throw new IllegalArgumentException("level " + i + " is NaN");
            }
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> levels[a] != levels[b] ? Float.compare(levels[a], levels[b]) : Integer.compare(a, b));
        int n = 0;
        float[] s = new float[levels.length];
        int[] c = new int[levels.length];
        for (int i : order) {
            if (n > 0 && s[n - 1] == levels[i]) {
                continue; // an equal level (+0 and -0 among them) keeps the lowest code
            }
            s[n] = levels[i];
            c[n] = i;
            n++;
        }
        this.sorted = Arrays.copyOf(s, n);
        this.codes = Arrays.copyOf(c, n);
        this.midpoints = new float[n - 1];
        for (int i = 0; i + 1 < n; i++) {
            midpoints[i] = (float) (((double) sorted[i] + sorted[i + 1]) / 2);
        }
    }

    /** The code of the level nearest to {@code v} (values beyond the ends take the end levels). */
    public int code(float v) {
        int lo = 0, hi = midpoints.length; // answer: number of midpoints below v
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (v > midpoints[mid]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return codes[lo];
    }
}
