package io.isthmus.runtime.quant.codebook;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Dot products of one codebook row (codes at {@code off} of {@code codes}, its 2^b float table at
 * {@code lutOff} of {@code lut}) with rows of x, decoding the codes in registers. {@code k} is a
 * whole number of blocks: the caller pads x with zeros to the row's padded length.
 */
abstract class LutKernel {

    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The kernel for {@code packing}. */
    static LutKernel forPacking(CodePacking packing) {
        return packing == CodePacking.FOUR_BIT ? new Lut4Kernel() : new Lut3Kernel();
    }

    /** Σ_c W[c]·x[xo + c] for c < k. */
    abstract float dot1(MemorySegment codes, long off, MemorySegment lut, long lutOff, int k, float[] x, int xo);

    /** The same for four x rows at once, results in {@code out[0..3]}. */
    abstract void dot4(MemorySegment codes, long off, MemorySegment lut, long lutOff, int k,
                       float[] x, int x0, int x1, int x2, int x3, float[] out);
}
