package io.isthmus.runtime.quant.normalfloat;

import io.isthmus.runtime.kernel.Erf;

/**
 * NormalFloat levels (QLoRA, Dettmers et al. 2023): quantiles of the standard normal, an asymmetric
 * set with an exact zero (2^(b-1) positive and 2^(b-1) − 1 negative levels), scaled to [−1, 1].
 * NF4 is the QLoRA table as bitsandbytes ships it; other widths are built the same way as its
 * {@code create_normal_map}: positives {@code Φ⁻¹(linspace(δ, ½, 2^(b−1)+1))} without the last,
 * negatives {@code −Φ⁻¹(linspace(δ, ½, 2^(b−1)))} without the last, zero, divided by the largest,
 * with {@code δ = ½((1 − 1/(2(2^b − 1))) + (1 − 1/(2·2^b)))} (0.9677083 for b = 4).
 */
public final class NormalFloatTable {

    /** bitsandbytes' NF4 values, ascending (code i decodes to NF4[i]). */
    static final float[] NF4 = {
            -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
            -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
            0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
            0.44070982389450073f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};

    private NormalFloatTable() {
    }

    /** The NormalFloat table of {@code bits} bits (3 or 4), ascending. */
    public static float[] of(int bits) {
        return bits == 4 ? NF4.clone() : build(bits);
    }

    /** The table by the construction above (for 4 bits it reproduces {@link #NF4} to about 1e-7). */
    static float[] build(int bits) {
        if (bits < 2 || bits > 8) {
            throw new IllegalArgumentException("NormalFloat tables have 2 to 8 bits, not " + bits);
        }
        int n = 1 << bits;
        int half = n / 2;
        double offset = 0.5 * ((1 - 1.0 / (2 * (n - 1))) + (1 - 1.0 / (2 * n)));
        double[] v = new double[n];
        int at = 0;
        for (int i = 0; i < half - 1; i++) { // negatives: linspace(offset, 0.5, half) without its end
            v[at++] = -inverseNormal(offset + (0.5 - offset) * i / (half - 1));
        }
        v[at++] = 0;
        for (int i = 0; i < half; i++) { // positives: linspace(offset, 0.5, half + 1) without its end
            v[at++] = inverseNormal(offset + (0.5 - offset) * i / half);
        }
        java.util.Arrays.sort(v);
        double max = v[n - 1];
        float[] t = new float[n];
        for (int i = 0; i < n; i++) {
            t[i] = (float) (v[i] / max);
        }
        return t;
    }

    /** Φ⁻¹(p) for p in [½, 1): Newton's method on Φ from 0 (Φ is concave there, so it converges from below). */
    static double inverseNormal(double p) {
        if (!(p >= 0.5 && p < 1)) {
            throw new IllegalArgumentException("quantile outside [0.5, 1): " + p);
        }
        double x = 0;
        for (int i = 0; i < 100; i++) {
            double cdf = 0.5 * (1 + Erf.erf(x / Math.sqrt(2)));
            double pdf = Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
            double step = (cdf - p) / pdf;
            x -= step;
            if (Math.abs(step) < 1e-15) {
                break;
            }
        }
        return x;
    }
}
