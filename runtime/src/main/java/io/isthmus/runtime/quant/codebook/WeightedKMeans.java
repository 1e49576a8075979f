package io.isthmus.runtime.quant.codebook;

import java.util.Arrays;

/**
 * One-dimensional weighted k-means: centroids minimising Σ_i w_i·(v_i − c(v_i))², where c(v) is the
 * centroid nearest v. In one dimension each cluster is a run of the sorted values, so the optimum
 * is a dynamic program over where the runs end (Wang and Song's Ckmeans.1d.dp). It is solved here
 * over a few hundred candidate ends (equal-count runs of the sorted values), with the
 * divide-and-conquer speed-up its monotone split points allow, and then refined by Lloyd's
 * iterations over all values — each an O(k log n) step on prefix sums, not a pass over the data.
 * Lloyd's algorithm alone, from quantile seeds, was measured 7 % (k = 8) and 39 % (k = 16) above
 * the exact optimum on prose-llama rows; the refined program is within a fraction of a percent.
 */
public final class WeightedKMeans {

    private static final int MAX_ITERATIONS = 100;
    /** Candidate run ends the dynamic program chooses from. */
    private static final int CANDIDATES = 256;

    private final int k;
    private double[] values = new double[0];
    private double[] weightSums = new double[1];  // prefix sums over the sorted values
    private double[] momentSums = new double[1];  // Σ w·v
    private double[] squareSums = new double[1];  // Σ w·v²
    private long[] keys = new long[0];

    /** A reusable fitter for {@code k} centroids (not thread-safe: one per thread). */
    public WeightedKMeans(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be positive, got " + k);
        }
        this.k = k;
    }

    /**
     * The k centroids, ascending, of {@code v[0..n)} with weights {@code w[0..n)} (null: all 1).
     * Weights must be finite and non-negative; when they sum to zero the fit is unweighted. With
     * fewer than k distinct values, the distinct values are returned, the largest repeated.
     */
    public float[] fit(float[] v, float[] w, int n) {
        if (n == 0) {
            return new float[k];
        }
        double total = 0;
        if (w != null) {
            for (int i = 0; i < n; i++) {
                total += w[i];
            }
        }
        boolean weighted = w != null && total > 0;
        sort(v, weighted ? w : null, n);
        float[] distinct = distinctUpToK(n);
        if (distinct != null) {
            return distinct;
        }
        double[] best = lloyd(optimalOverCandidates(n), n);
        float[] c = new float[k];
        for (int j = 0; j < k; j++) {
            c[j] = (float) best[j];
        }
        Arrays.sort(c);
        return c;
    }

    private void sort(float[] v, float[] w, int n) {
        if (keys.length < n) {
            keys = new long[n];
            values = new double[n];
            weightSums = new double[n + 1];
            momentSums = new double[n + 1];
            squareSums = new double[n + 1];
        }
        for (int i = 0; i < n; i++) {
            int bits = Float.floatToIntBits(v[i] == 0 ? 0f : v[i]); // -0 sorts with +0
            int sortable = bits ^ (bits >> 31 & 0x7FFFFFFF);
            keys[i] = (long) sortable << 32 | i;
        }
        Arrays.sort(keys, 0, n);
        for (int i = 0; i < n; i++) {
            int at = (int) keys[i];
            double x = v[at], wt = w == null ? 1 : w[at];
            values[i] = x;
            weightSums[i + 1] = weightSums[i] + wt;
            momentSums[i + 1] = momentSums[i] + wt * x;
            squareSums[i + 1] = squareSums[i] + wt * x * x;
        }
    }

    /** The distinct values padded to k when there are at most k of them, else null. */
    private float[] distinctUpToK(int n) {
        float[] out = new float[k];
        int d = 0;
        for (int i = 0; i < n; i++) {
            if (d == 0 || values[i] != out[d - 1]) {
                if (d == k) {
                    return null;
                }
                out[d++] = (float) values[i];
            }
        }
        Arrays.fill(out, d, k, out[d - 1]);
        return out;
    }

    /**
     * The optimal clustering when runs may only end at the {@code CANDIDATES} equal-count
     * boundaries: cost[c][j] = min over i of cost[c−1][i] + error(run i..j), the best i growing
     * with j, so each layer is found by divide and conquer in O(B log B). Returns the runs' means.
     */
    private double[] optimalOverCandidates(int n) {
        int b = Math.min(n, CANDIDATES);
        int[] end = new int[b + 1]; // candidate t ends at sorted position end[t]
        double[] cw = new double[b + 1], cm = new double[b + 1], cq = new double[b + 1]; // prefix sums there
        for (int t = 0; t <= b; t++) {
            end[t] = (int) ((long) t * n / b);
            cw[t] = weightSums[end[t]];
            cm[t] = momentSums[end[t]];
            cq[t] = squareSums[end[t]];
        }
        double[] prev = new double[b + 1];
        double[] cur = new double[b + 1];
        int[][] split = new int[k][b + 1];
        for (int j = 1; j <= b; j++) {
            prev[j] = runError(cw, cm, cq, 0, j);
        }
        for (int c = 1; c < k; c++) {
            if (c < k - 1) {
                layer(c, c + 1, b, c, b - 1, cw, cm, cq, prev, cur, split[c]);
            } else { // the last layer is needed at the last candidate only
                layer(c, b, b, c, b - 1, cw, cm, cq, prev, cur, split[c]);
            }
            double[] t = prev;
            prev = cur;
            cur = t;
        }
        double[] centroids = new double[k + 1];
        int j = b;
        for (int c = k - 1; c >= 0; c--) {
            int i = c == 0 ? 0 : split[c][j];
            centroids[c] = mean(end[i], end[j]);
            j = i;
        }
        return centroids;
    }

    /** cur[j] and split[j] for j in [jlo, jhi], knowing the best split lies in [optLo, optHi]. */
    private static void layer(int c, int jlo, int jhi, int optLo, int optHi, double[] cw, double[] cm, double[] cq,
                              double[] prev, double[] cur, int[] split) {
        if (jlo > jhi) {
            return;
        }
        int mid = (jlo + jhi) >>> 1;
        double best = Double.POSITIVE_INFINITY;
        int arg = Math.max(optLo, c);
        for (int i = arg, last = Math.min(mid - 1, optHi); i <= last; i++) {
            double e = prev[i] + runError(cw, cm, cq, i, mid);
            if (e < best) {
                best = e;
                arg = i;
            }
        }
        cur[mid] = best;
        split[mid] = arg;
        layer(c, jlo, mid - 1, optLo, arg, cw, cm, cq, prev, cur, split);
        layer(c, mid + 1, jhi, arg, optHi, cw, cm, cq, prev, cur, split);
    }

    /** Σ w·(v − mean)² over candidates i..j, from the prefix sums at the candidates. */
    private static double runError(double[] cw, double[] cm, double[] cq, int i, int j) {
        double w = cw[j] - cw[i];
        if (w <= 0) {
            return 0;
        }
        double m = cm[j] - cm[i];
        return Math.max(0, cq[j] - cq[i] - m * m / w);
    }

    /** The weighted mean of sorted positions [lo, hi), or their middle value when they weigh nothing. */
    private double mean(int lo, int hi) {
        double w = weightSums[hi] - weightSums[lo];
        return w > 0 ? (momentSums[hi] - momentSums[lo]) / w : values[(lo + hi - 1) >>> 1];
    }

    /**
     * Lloyd's iterations from {@code c} (k entries, a spare slot at the end) until the clusters stop
     * changing. An emptied cluster moves into the run with the largest error, at its far end.
     */
    private double[] lloyd(double[] c, int n) {
        int[] ends = new int[k];
        for (int iter = 0; iter < MAX_ITERATIONS; iter++) {
            Arrays.sort(c, 0, k);
            c[k] = Double.POSITIVE_INFINITY;
            boolean changed = false;
            int lo = 0;
            for (int j = 0; j < k; j++) {
                int hi = j == k - 1 ? n : Math.max(lo, upperBound((c[j] + c[j + 1]) / 2, n));
                changed |= hi != ends[j];
                ends[j] = hi;
                lo = hi;
            }
            if (!changed && iter > 0) {
                break;
            }
            lo = 0;
            int empty = -1;
            for (int j = 0; j < k; j++) {
                double w = weightSums[ends[j]] - weightSums[lo];
                if (w > 0) {
                    c[j] = (momentSums[ends[j]] - momentSums[lo]) / w;
                } else {
                    empty = j;
                }
                lo = ends[j];
            }
            if (empty >= 0) {
                reseed(c, ends, empty);
            }
        }
        c[k] = Double.POSITIVE_INFINITY;
        return c;
    }

    /** Moves centroid {@code empty} to the far end of the run with the largest error. */
    private void reseed(double[] c, int[] ends, int empty) {
        int worst = -1, worstLo = 0;
        double worstError = 0;
        int lo = 0;
        for (int j = 0; j < k; j++) {
            double e = clusterError(lo, ends[j], c[j]);
            if (e > worstError && ends[j] - lo > 1) {
                worst = j;
                worstError = e;
                worstLo = lo;
            }
            lo = ends[j];
        }
        if (worst < 0) {
            return;
        }
        double first = values[worstLo], last = values[ends[worst] - 1];
        double far = Math.abs(first - c[worst]) > Math.abs(last - c[worst]) ? first : last;
        c[empty] = (c[worst] + far) / 2;
    }

    /** Σ w·(v − c)² over sorted positions [lo, hi). */
    private double clusterError(int lo, int hi, double c) {
        if (hi <= lo) {
            return 0;
        }
        double w = weightSums[hi] - weightSums[lo];
        double m = momentSums[hi] - momentSums[lo];
        double s = squareSums[hi] - squareSums[lo];
        return Math.max(0, s - 2 * c * m + c * c * w);
    }

    /** The number of sorted values at most {@code bound}. */
    private int upperBound(double bound, int n) {
        int lo = 0, hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (values[mid] <= bound) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
