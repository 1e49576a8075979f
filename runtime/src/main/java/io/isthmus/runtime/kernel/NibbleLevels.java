package io.isthmus.runtime.kernel;

import java.util.Locale;

/**
 * How a 4-bit code masked in place inside an int lane becomes a float that an FMA can take: either
 * as it is, a subnormal float (exponent bits zero, so the lane holding {@code q << 4p} reads as
 * {@code q·2^(4p−149)}, exactly), or converted from int ({@code q·2^(4p)}). Either way the code needs
 * no shift; the power of two is folded into x once per product ({@link #xExponent}). The subnormal
 * form saves the conversion, which on Zen 5 is a third of the work of a 4-bit GEMV from cache; but
 * Intel cores take a microcode assist on every FMA with a subnormal input (on the AMX machine's Xeon
 * 45 ns per 512-bit FMA against 0.5 ns), so the form is chosen by timing both once:
 * {@code -Disthmus.kernel.subnormal=auto} (default), {@code true} or {@code false}.
 */
public final class NibbleLevels {

    /** Whether kernels take masked codes as subnormal floats (else they convert them). */
    public static final boolean SUBNORMAL = choose(System.getProperty("isthmus.kernel.subnormal", "auto"));

    /** Code positions (4-bit fields from bit 0) that can be used in place: their field lies inside the 23 mantissa bits. */
    public static final int POSITIONS = 5;

    private static volatile float sink;

    private NibbleLevels() {
    }

    static boolean choose(String setting) {
        return switch (setting.strip().toLowerCase(Locale.ROOT)) {
            case "auto" -> subnormalsAtFullSpeed();
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(
                    "isthmus.kernel.subnormal must be auto, true or false, not '" + setting + "'");
        };
    }

    /**
     * The power of two that x is multiplied by for a code at position {@code p} so that the FMA
     * yields {@code q·x·2^(−t)}: {@code 149 − t − 4p} for subnormal levels, {@code −t − 4p} for
     * converted ones. t keeps the scaled x finite ({@link #headroom}).
     */
    public static int xExponent(int position, int t) {
        return (SUBNORMAL ? 149 : 0) - t - 4 * position;
    }

    /**
     * The t for x whose largest magnitude is {@code maxAbs}: the exponent of maxAbs plus 24. With
     * subnormal levels x is scaled by up to 2^(149 − t), which must stay below Float.MAX_VALUE; with
     * converted ones, sums of q·x (q up to 15, before an offset of −8 cancels) must not overflow where
     * the true sum would not. Products then lie near 2^(−24) times x's scale, far from underflow.
     */
    public static int headroom(float maxAbs) {
        if (!(maxAbs > 0) || !Float.isFinite(maxAbs)) {
            return 0;
        }
        return Math.getExponent(maxAbs) + 24;
    }

    /**
     * Times the same chain of scalar FMAs with a subnormal and with a normal first operand (the
     * others and the results normal, as in the kernels), best of many short runs, which C1 compiles
     * after a few: true unless the subnormal runs take four times as long (an assist per FMA costs
     * tens of times an FMA; where there is none the two times agree).
     */
    static boolean subnormalsAtFullSpeed() {
        float subnormal = Float.intBitsToFloat(0x7), normal = 1.5f;
        long sub = Long.MAX_VALUE, norm = Long.MAX_VALUE;
        for (int round = 0; round < 60; round++) {
            sub = Math.min(sub, time(subnormal));
            norm = Math.min(norm, time(normal));
        }
        return sub < 4 * norm;
    }

    private static long time(float w) {
        float x = 0x1p100f, a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < 2048; i++) {
            a0 = Math.fma(w, x, a0);
            a1 = Math.fma(w, x, a1);
            a2 = Math.fma(w, x, a2);
            a3 = Math.fma(w, x, a3);
        }
        long t = System.nanoTime() - t0;
        sink = a0 + a1 + a2 + a3;
        return t;
    }

    /** A line for logs and benchmarks. */
    public static String describe() {
        return "4-bit levels " + (SUBNORMAL ? "as subnormal floats" : "converted from int");
    }
}
