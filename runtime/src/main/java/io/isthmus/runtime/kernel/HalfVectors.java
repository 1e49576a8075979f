package io.isthmus.runtime.kernel;

import static io.isthmus.runtime.kernel.VectorSettings.I;
import static io.isthmus.runtime.kernel.VectorSettings.S;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/** Loads of 16-bit floats (IEEE half and bfloat16) from memory as float vectors, decoded in registers. */
final class HalfVectors {

    private HalfVectors() {
    }

    /** {@code LANES} halves sign-extended to ints, one per lane. */
    private static IntVector widen(MemorySegment seg, long at) {
        return (IntVector) ShortVector.fromMemorySegment(S, seg, at, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, I, 0);
    }

    /**
     * IEEE half → float without a table: shifting the sign-extended half left by 13 puts its
     * exponent and mantissa in the float's places and its sign at bit 31 (bits 28-30, copies of the
     * sign, are masked off); the float exponent is then 112 too small, which one multiplication by
     * 2^112 fixes for normals and subnormals (and keeps zero). Inf/NaN are not preserved: weights
     * have none.
     */
    static FloatVector f16(MemorySegment seg, long at) {
        return widen(seg, at).lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000)
                .reinterpretAsFloats().mul(0x1p112f);
    }

    /** bfloat16 → float: the upper half of the float's bits. */
    static FloatVector bf16(MemorySegment seg, long at) {
        return widen(seg, at).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
