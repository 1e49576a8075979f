package io.isthmus.runtime.quant.normalfloat;

import io.isthmus.runtime.quant.lookup.NearestLevel;

/**
 * The scale of one group of weights: absmax (the levels span [−1, 1], so the largest weight maps to
 * an end level), or, with column weights from calibration, the f16 scale among shrunk absmax values
 * {@code α·absmax}, α = 1, 0.975, ..., 0.6, that minimises {@code Σ_c weight[c]·(w_c − ŵ_c)²}:
 * clipping the few largest weights buys finer steps for the rest where the inputs are large.
 */
final class GroupScaleSearch {

    static final int STEPS = 17;
    static final double STEP = 0.025;

    private final float[] levels;
    private final NearestLevel nearest;

    GroupScaleSearch(float[] levels) {
        this.levels = levels.clone();
        this.nearest = new NearestLevel(levels);
    }

    /** The code of {@code w} under the (already f16-rounded) scale {@code s}; a zero scale takes the zero level. */
    int code(float w, float s) {
        return nearest.code(s == 0 ? 0 : w / s);
    }

    /** The absmax of {@code w[from, to)}. */
    static float absmax(float[] w, int from, int to) {
        float m = 0;
        for (int i = from; i < to; i++) {
            m = Math.max(m, Math.abs(w[i]));
        }
        return m;
    }

    /**
     * The best f16-representable scale for {@code w[from, to)}, whose columns start at {@code col0};
     * {@code weights} null means plain absmax.
     */
    float scale(float[] w, int from, int to, int col0, float[] weights) {
        float absmax = absmax(w, from, to);
        if (weights == null || absmax == 0) {
            return f16(absmax);
        }
        float best = f16(absmax);
        double bestErr = Double.MAX_VALUE;
        for (int i = 0; i < STEPS; i++) {
            float s = f16((float) ((1 - STEP * i) * absmax));
            double err = 0;
            for (int c = from; c < to; c++) {
                double d = w[c] - levels[code(w[c], s)] * s;
                err += weights[col0 + c - from] * d * d;
            }
            if (err < bestErr) {
                bestErr = err;
                best = s;
            }
        }
        return best;
    }

    private static float f16(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }
}
