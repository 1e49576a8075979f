package io.isthmus.runtime.quant.codebook;

import static io.isthmus.runtime.kernel.VectorSettings.B;
import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.I;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * lut4 rows ({@link CodePacking#FOUR_BIT}): each byte load widens to int lanes whose low nibbles
 * index the row's 16-entry table for one half of a group and whose high nibbles for the other; the
 * table lookup is a lane permute ({@code selectFrom}) of the table held in registers — one 512-bit
 * vector, two 256-bit or four 128-bit ones. Lane indices wrap, so no nibble needs masking.
 * As in the GGUF kernels, no helper takes or returns vectors (C2 boxes them when it declines to inline).
 */
final class Lut4Kernel extends LutKernel {

    private static final int GROUP = CodePacking.GROUP;
    private static final int GROUP_BYTES = 16;
    /** Float vectors per byte-vector load (2 at 128 bits, else 1). */
    private static final int PARTS = B.length() / LANES;
    /** Int vectors holding the 16-entry table. */
    private static final int TABLES = Math.max(1, 16 / LANES);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    Lut4Kernel() {
        super(CodePacking.FOUR_BIT);
    }

    @Override
    float dot1(MemorySegment codes, long off, MemorySegment lut, long lutOff, int k, float[] x, int xo) {
        IntVector t0 = IntVector.fromMemorySegment(I, lut, lutOff, LE);
        IntVector t1 = TABLES > 1 ? IntVector.fromMemorySegment(I, lut, lutOff + 4L * LANES, LE) : t0;
        IntVector t2 = TABLES > 2 ? IntVector.fromMemorySegment(I, lut, lutOff + 8L * LANES, LE) : t0;
        IntVector t3 = TABLES > 2 ? IntVector.fromMemorySegment(I, lut, lutOff + 12L * LANES, LE) : t0;
        int full = k / GROUP;
        // four accumulators, rotated every group, so consecutive FMAs do not wait on each other
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int g = 0; g < full; g++) {
            long go = off + (long) g * GROUP_BYTES;
            int xc = xo + g * GROUP;
            for (int j = 0; j < GROUP_BYTES; j += B.length()) { // constant trip counts: fully unrolled
                ByteVector q = ByteVector.fromMemorySegment(B, codes, go + j, LE);
                for (int p = 0; p < PARTS; p++) {
                    IntVector lo = (IntVector) q.convertShape(VectorOperators.B2I, I, p);
                    IntVector hi = lo.lanewise(VectorOperators.LSHR, 4);
                    IntVector wl = TABLES == 1 ? lo.selectFrom(t0) : TABLES == 2 ? lo.selectFrom(t0, t1)
                            : lo.selectFrom(t0, t1).blend(lo.selectFrom(t2, t3), lo.and(8).compare(VectorOperators.NE, 0));
                    IntVector wh = TABLES == 1 ? hi.selectFrom(t0) : TABLES == 2 ? hi.selectFrom(t0, t1)
                            : hi.selectFrom(t0, t1).blend(hi.selectFrom(t2, t3), hi.and(8).compare(VectorOperators.NE, 0));
                    int c = xc + j + p * LANES;
                    a0 = wl.reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c), a0);
                    a1 = wh.reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + 16), a1);
                }
            }
            FloatVector t = a0;
            a0 = a2;
            a2 = t;
            t = a1;
            a1 = a3;
            a3 = t;
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD)
                + scalarDot(codes, off, lut, lutOff, full * GROUP, k, x, xo);
    }

    @Override
    void dot4(MemorySegment codes, long off, MemorySegment lut, long lutOff, int k,
              float[] x, int x0, int x1, int x2, int x3, float[] out) {
        IntVector t0 = IntVector.fromMemorySegment(I, lut, lutOff, LE);
        IntVector t1 = TABLES > 1 ? IntVector.fromMemorySegment(I, lut, lutOff + 4L * LANES, LE) : t0;
        IntVector t2 = TABLES > 2 ? IntVector.fromMemorySegment(I, lut, lutOff + 8L * LANES, LE) : t0;
        IntVector t3 = TABLES > 2 ? IntVector.fromMemorySegment(I, lut, lutOff + 12L * LANES, LE) : t0;
        int full = k / GROUP;
        // low and high halves go to separate accumulators: one FMA per accumulator per step
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int g = 0; g < full; g++) {
            long go = off + (long) g * GROUP_BYTES;
            for (int j = 0; j < GROUP_BYTES; j += B.length()) {
                ByteVector q = ByteVector.fromMemorySegment(B, codes, go + j, LE);
                for (int p = 0; p < PARTS; p++) {
                    IntVector lo = (IntVector) q.convertShape(VectorOperators.B2I, I, p);
                    IntVector hi = lo.lanewise(VectorOperators.LSHR, 4);
                    FloatVector wl = (TABLES == 1 ? lo.selectFrom(t0) : TABLES == 2 ? lo.selectFrom(t0, t1)
                            : lo.selectFrom(t0, t1).blend(lo.selectFrom(t2, t3), lo.and(8).compare(VectorOperators.NE, 0)))
                            .reinterpretAsFloats();
                    FloatVector wh = (TABLES == 1 ? hi.selectFrom(t0) : TABLES == 2 ? hi.selectFrom(t0, t1)
                            : hi.selectFrom(t0, t1).blend(hi.selectFrom(t2, t3), hi.and(8).compare(VectorOperators.NE, 0)))
                            .reinterpretAsFloats();
                    int c = g * GROUP + j + p * LANES;
                    a0 = wl.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                    a1 = wl.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                    a2 = wl.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                    a3 = wl.fma(FloatVector.fromArray(F, x, x3 + c), a3);
                    b0 = wh.fma(FloatVector.fromArray(F, x, x0 + c + 16), b0);
                    b1 = wh.fma(FloatVector.fromArray(F, x, x1 + c + 16), b1);
                    b2 = wh.fma(FloatVector.fromArray(F, x, x2 + c + 16), b2);
                    b3 = wh.fma(FloatVector.fromArray(F, x, x3 + c + 16), b3);
                }
            }
        }
        int from = full * GROUP;
        out[0] = a0.add(b0).reduceLanes(VectorOperators.ADD) + scalarDot(codes, off, lut, lutOff, from, k, x, x0);
        out[1] = a1.add(b1).reduceLanes(VectorOperators.ADD) + scalarDot(codes, off, lut, lutOff, from, k, x, x1);
        out[2] = a2.add(b2).reduceLanes(VectorOperators.ADD) + scalarDot(codes, off, lut, lutOff, from, k, x, x2);
        out[3] = a3.add(b3).reduceLanes(VectorOperators.ADD) + scalarDot(codes, off, lut, lutOff, from, k, x, x3);
    }
}
