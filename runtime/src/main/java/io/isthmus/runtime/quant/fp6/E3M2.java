package io.isthmus.runtime.quant.fp6;

import io.isthmus.runtime.quant.lookup.NearestLevel;

/**
 * The FP6 e3m2 number format of FP6-LLM: a 6-bit code {@code s eee mm} (bit 5 the sign), exponent
 * bias 3, subnormals at e = 0, no infinities or NaN; the largest value is 1.75·2⁴ = 28.
 */
final class E3M2 {

    static final int CODES = 64;
    static final float MAX = 28f;

    private static final NearestLevel NEAREST;

    static {
        float[] values = new float[CODES];
        for (int c = 0; c < CODES; c++) {
            values[c] = value(c);
        }
        NEAREST = new NearestLevel(values);
    }

    private E3M2() {
    }

    /** The value of {@code code}: ±2^(e−3)·(1 + m/4), or ±(m/4)·2^(1−3) when e = 0. */
    static float value(int code) {
        int e = (code >>> 2) & 7;
        int m = code & 3;
        float magnitude = e == 0 ? m / 16f : Math.scalb(1 + m / 4f, e - 3);
        return (code & 0x20) != 0 ? -magnitude : magnitude;
    }

    /** The code nearest to {@code v} (beyond ±28: ±28); zero is code 0. */
    static int nearest(float v) {
        return NEAREST.code(v);
    }
}
