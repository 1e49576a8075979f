package io.isthmus.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species every kernel uses, chosen once from the system property
 * {@code isthmus.vector.bits} (128, 256 or 512; default 512, capped at what the CPU prefers).
 * DESIGN.md reports 256 bits faster on a bare-metal Zen 4; on this project's 2-vCPU Zen 4 VM,
 * alternating runs of prose-llama-35m decode favoured 512 (Q8_0 580-680 vs 250-560 tokens/s, F16
 * about even): fewer instructions per weight byte keep more memory reads in flight. All species here have the same lane
 * count {@link #LANES} as {@link #F}, so a lane of a short/int vector maps to a lane of a float
 * vector; {@link #B} is the narrowest byte species holding at least {@code LANES} bytes (no 32-bit
 * byte species exists, so at 128 bits it carries two float vectors' worth).
 * Fields are static final so the JIT treats them as constants.
 */
public final class VectorSettings {

    /** Requested width in bits after validation and capping. */
    public static final int BITS = chooseBits();
    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(BITS)).check(float.class);
    public static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED.withShape(F.vectorShape()).check(int.class);
    public static final int LANES = F.length();
    public static final VectorSpecies<Short> S = ShortVector.SPECIES_64.withShape(VectorShape.forBitSize(16 * LANES)).check(short.class);
    public static final VectorSpecies<Byte> B = ByteVector.SPECIES_64.withShape(VectorShape.forBitSize(Math.max(64, 8 * LANES))).check(byte.class);

    private VectorSettings() {
    }

    private static int chooseBits() {
        String s = System.getProperty("isthmus.vector.bits", "512").strip();
        int bits;
        try {
            bits = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("isthmus.vector.bits must be 128, 256 or 512, not '" + s + "'");
        }
        if (bits != 128 && bits != 256 && bits != 512) {
            throw new IllegalArgumentException("isthmus.vector.bits must be 128, 256 or 512, not " + bits);
        }
        return Math.min(bits, FloatVector.SPECIES_PREFERRED.vectorBitSize());
    }

    /** A one-line description for logs and benchmarks. */
    public static String describe() {
        return BITS + "-bit vectors (" + LANES + " float lanes; CPU prefers "
                + FloatVector.SPECIES_PREFERRED.vectorBitSize() + ")";
    }
}
