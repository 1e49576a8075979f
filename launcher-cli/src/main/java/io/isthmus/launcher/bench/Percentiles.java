package io.isthmus.launcher.bench;

import java.util.Arrays;

/** Median and 90th percentile (nearest rank) of a few runs. */
public final class Percentiles {
    private Percentiles() {
    }

    public static double median(double[] values) {
        double[] s = sorted(values);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** The smallest value at or above 90 % of the runs: of 5 runs the largest, of 10 the 9th. */
    public static double p90(double[] values) {
        double[] s = sorted(values);
        return s[(int) Math.ceil(0.9 * s.length) - 1];
    }

    private static double[] sorted(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        double[] s = values.clone();
        Arrays.sort(s);
        return s;
    }
}
