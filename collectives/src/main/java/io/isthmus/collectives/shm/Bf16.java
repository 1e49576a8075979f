package io.isthmus.collectives.shm;

/** bfloat16 conversions: the upper 16 bits of an f32, rounded to nearest even. */
final class Bf16 {
    private Bf16() {
    }

    static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fff_ffff) > 0x7f80_0000) {
            return (short) ((bits >>> 16) | 0x0040); // NaN stays a (quiet) NaN
        }
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    static float toFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }
}
