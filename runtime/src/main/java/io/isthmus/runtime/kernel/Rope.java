package io.isthmus.runtime.kernel;

/**
 * Rotary position embedding over the heads of one token's q or k vector, laid out as
 * {@code nHeads} consecutive heads of {@code headDim}; only the first {@code ropeDims} dimensions of
 * each head rotate (partial rotary, e.g. Phi-2, GPT-NeoX). Pair i turns by
 * {@code pos · freqScale · theta^(−2i/ropeDims)}, computed in double as ggml does before rounding
 * cos and sin to float.
 */
public final class Rope {

    private Rope() {
    }

    public static void rope(float[] vec, int off, int nHeads, int headDim, int ropeDims, int pos,
                            double theta, double freqScale, RopeStyle style) {
        int half = checkDims(headDim, ropeDims);
        float[] cos = new float[half];
        float[] sin = new float[half];
        angles(pos, ropeDims, theta, freqScale, cos, sin, 0);
        rotate(vec, off, nHeads, headDim, ropeDims, cos, sin, 0, style);
    }

    /** cos/sin for the ropeDims/2 pairs at position {@code pos}, into {@code cos[at..]}, {@code sin[at..]}. */
    static void angles(int pos, int ropeDims, double theta, double freqScale, float[] cos, float[] sin, int at) {
        for (int i = 0; i < ropeDims / 2; i++) {
            double angle = pos * freqScale * Math.pow(theta, -2.0 * i / ropeDims);
            cos[at + i] = (float) Math.cos(angle);
            sin[at + i] = (float) Math.sin(angle);
        }
    }

    /** Rotates every head with precomputed cos/sin of its pairs, found at {@code cs..cs+ropeDims/2}. */
    static void rotate(float[] vec, int off, int nHeads, int headDim, int ropeDims,
                       float[] cos, float[] sin, int cs, RopeStyle style) {
        int half = ropeDims / 2;
        for (int h = 0; h < nHeads; h++) {
            int base = off + h * headDim;
            for (int i = 0; i < half; i++) {
                int a, b;
                if (style == RopeStyle.ADJACENT_PAIRS) {
                    a = base + 2 * i;
                    b = a + 1;
                } else {
                    a = base + i;
                    b = a + half;
                }
                float c = cos[cs + i], s = sin[cs + i];
                float x0 = vec[a], x1 = vec[b];
                vec[a] = x0 * c - x1 * s;
                vec[b] = x0 * s + x1 * c;
            }
        }
    }

    static int checkDims(int headDim, int ropeDims) {
        if (ropeDims <= 0 || ropeDims > headDim || (ropeDims & 1) != 0) {
            throw new IllegalArgumentException("rotary dims " + ropeDims + " must be even and within head size " + headDim);
        }
        return ropeDims / 2;
    }
}
