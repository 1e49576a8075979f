package io.isthmus.runtime.quant.codebook;

import java.util.Arrays;

/**
 * One-dimensional weighted k-means: centroids minimising Σ_i w_i·(v_i − c(v_i))², where c(v) is the
 * centroid nearest v. In one dimension each cluster is a run of the sorted values, so after one sort
 * an iteration of Lloyd's algorithm is k binary searches and k differences of prefix sums, not a pass
 * over the data; that allows iterating to convergence from two seedings (weighted quantiles and an
 * even spread over the range) and keeping the better.
 */
public final class WeightedKMeans {

    private static final int MAX_ITERATIONS = 100;

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
        double[] best = lloyd(quantileSeeds(n), n);
        double[] other = lloyd(spreadSeeds(n), n);
        if (error(other, n) < error(best, n)) {
            best = other;
        }
        float[] c = new float[k];
        for (int j = 0; j < k; j++) {
            c[j] = (float) best[j];
        }
        Arrays.sort(c);
        return c;
    }

    /** Σ w·(v − nearest centroid)² of the last {@link #fit} data for {@code centroids} (ascending). */
    double error(double[] centroids, int n) {
        double e = 0;
        int lo = 0;
        for (int j = 0; j < k; j++) {
            int hi = j == k - 1 ? n : upperBound((centroids[j] + centroids[j + 1]) / 2, n);
            e += clusterError(lo, hi, centroids[j]);
            lo = Math.max(lo, hi);
        }
        return e;
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

    /** Centroids at the weighted quantiles (j + ½)/k. */
    private double[] quantileSeeds(int n) {
        double[] c = new double[k + 1];
        double total = weightSums[n];
        for (int j = 0; j < k; j++) {
            double target = total * (j + 0.5) / k;
            int at = Arrays.binarySearch(weightSums, 1, n + 1, target);
            at = at >= 0 ? at - 1 : Math.min(n - 1, -at - 2);
            c[j] = values[Math.max(0, at)];
        }
        return c;
    }

    /** Centroids spread evenly between the smallest and largest value. */
    private double[] spreadSeeds(int n) {
        double[] c = new double[k + 1];
        double lo = values[0], hi = values[n - 1];
        for (int j = 0; j < k; j++) {
            c[j] = lo + (hi - lo) * (j + 0.5) / k;
        }
        return c;
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
