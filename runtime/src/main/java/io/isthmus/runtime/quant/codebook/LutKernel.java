package io.isthmus.runtime.quant.codebook;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Dot products of one codebook row (codes at {@code off} of {@code codes}, its 2^b float table at
 * {@code lutOff} of {@code lut}) with rows of x, decoding the codes in registers.
 */
abstract class LutKernel {

    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final CodePacking packing;

    LutKernel(CodePacking packing) {
        this.packing = packing;
    }

    /** The kernel for {@code packing}. */
    static LutKernel forPacking(CodePacking packing) {
        return packing == CodePacking.FOUR_BIT ? new Lut4Kernel() : new Lut3Kernel();
    }

    /** Σ_c W[c]·x[xo + c] for c < k. */
    abstract float dot1(MemorySegment codes, long off, MemorySegment lut, long lutOff, int k, float[] x, int xo);

    /** The same for four x rows at once, results in {@code out[0..3]}. */
    abstract void dot4(MemorySegment codes, long off, MemorySegment lut, long lutOff, int k,
                       float[] x, int x0, int x1, int x2, int x3, float[] out);

    /** Σ W[c]·x[xo + c] for c in [from, k), decoded one code at a time: the columns no vector step covers. */
    final float scalarDot(MemorySegment codes, long off, MemorySegment lut, long lutOff, int from, int k,
                          float[] x, int xo) {
        float s = 0;
        for (int c = from; c < k; c++) {
            s += lut.get(FLOAT_LE, lutOff + 4L * packing.get(codes, off, c)) * x[xo + c];
        }
        return s;
    }
}
