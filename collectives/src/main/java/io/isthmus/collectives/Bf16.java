package io.isthmus.collectives;

/**
 * bfloat16 conversions: the upper 16 bits of an f32, rounded to nearest even. The one definition
 * used by the BF16 wire type, the bf16 KV cache and bf16 weights.
 */
public final class Bf16 {
    private Bf16() {
    }

    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fff_ffff) > 0x7f80_0000) {
            return (short) ((bits >>> 16) | 0x0040); // NaN stays a (quiet) NaN
        }
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    public static float toFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }

    /** {@code value} rounded to bfloat16 and back. */
    public static float round(float value) {
        return toFloat(fromFloat(value));
    }
}
