package io.isthmus.runtime.quant.codebook;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.XOR;
import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.I;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;

import io.isthmus.runtime.kernel.Prefetch;
import io.isthmus.runtime.kernel.Table16;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * lut4 rows ({@link CodePacking#FOUR_BIT}): a block's 16 words are loaded as int lanes, and plane t
 * (columns 16t .. 16t + 15) is one shift away: its codes index the row's 16-entry table by a lane
 * permute ({@code selectFrom}) of the table held in registers — one 512-bit vector, two 256-bit or
 * four 128-bit ones. Lane indices wrap, so the bits above a code need no masking. As in the GGUF
 * kernels, no helper takes or returns vectors (C2 boxes them when it declines to inline).
 */
final class Lut4Kernel extends LutKernel {

    private static final int BLOCK = 128;
    private static final int BLOCK_BYTES = 64;
    private static final int PLANES = 8;
    /** Columns per plane. */
    private static final int SPAN = CodePacking.LANES;
    /** Vector loads per block (1 at 512 bits, 2 at 256, 4 at 128). */
    private static final int PARTS = CodePacking.LANES / LANES;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /**
     * Whether the table is two registers (256 bits): then a single x row's lookups are written as
     * {@code t0[i] ^ ((t0 ^ t1)[i] & −bit3(i))}, two one-register permutes, which on Zen 3 ran faster
     * than the two-register {@code selectFrom} the JIT lowers there (see {@code Lookup4Dots}).
     */
    private static final boolean HALVES = Table16.VECTORS == 2;

    @Override
    float dot1(MemorySegment codes, long off, MemorySegment lut, long lutOff, int k, float[] x, int xo) {
        IntVector t0 = IntVector.fromMemorySegment(I, lut, lutOff, LE);
        IntVector t1 = Table16.VECTORS > 1 ? IntVector.fromMemorySegment(I, lut, lutOff + 4L * LANES, LE) : t0;
        IntVector t2 = Table16.VECTORS > 2 ? IntVector.fromMemorySegment(I, lut, lutOff + 8L * LANES, LE) : t0;
        IntVector t3 = Table16.VECTORS > 2 ? IntVector.fromMemorySegment(I, lut, lutOff + 12L * LANES, LE) : t0;
        IntVector tx = t0.lanewise(XOR, t1);
        int blocks = k / BLOCK;
        // one accumulator per plane, so that each takes one FMA per block: with four, rotated, two
        // FMAs of a block waited on each other and the chain, not the lookups, set the pace
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        int touched = 0;
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * BLOCK_BYTES;
            int xc = xo + b * BLOCK;
            touched ^= Prefetch.touch(codes, bo);
            for (int p = 0; p < PARTS; p++) {
                IntVector v = IntVector.fromMemorySegment(I, codes, bo + 4L * LANES * p, LE);
                int c = xc + LANES * p;
                a0 = (HALVES ? v.selectFrom(t0).lanewise(XOR, v.selectFrom(tx).and(v.lanewise(LSHL, 28).lanewise(ASHR, 31)))
                        : Table16.select(v, t0, t1, t2, t3)).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c), a0);
                IntVector q1 = v.lanewise(LSHR, 4);
                a1 = (HALVES ? q1.selectFrom(t0).lanewise(XOR, q1.selectFrom(tx).and(v.lanewise(LSHL, 24).lanewise(ASHR, 31)))
                        : Table16.select(q1, t0, t1, t2, t3)).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + SPAN), a1);
                IntVector q2 = v.lanewise(LSHR, 8);
                a2 = (HALVES ? q2.selectFrom(t0).lanewise(XOR, q2.selectFrom(tx).and(v.lanewise(LSHL, 20).lanewise(ASHR, 31)))
                        : Table16.select(q2, t0, t1, t2, t3)).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + 2 * SPAN), a2);
                IntVector q3 = v.lanewise(LSHR, 12);
                a3 = (HALVES ? q3.selectFrom(t0).lanewise(XOR, q3.selectFrom(tx).and(v.lanewise(LSHL, 16).lanewise(ASHR, 31)))
                        : Table16.select(q3, t0, t1, t2, t3)).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + 3 * SPAN), a3);
                IntVector q4 = v.lanewise(LSHR, 16);
                a4 = (HALVES ? q4.selectFrom(t0).lanewise(XOR, q4.selectFrom(tx).and(v.lanewise(LSHL, 12).lanewise(ASHR, 31)))
                        : Table16.select(q4, t0, t1, t2, t3)).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + 4 * SPAN), a4);
                IntVector q5 = v.lanewise(LSHR, 20);
                a5 = (HALVES ? q5.selectFrom(t0).lanewise(XOR, q5.selectFrom(tx).and(v.lanewise(LSHL, 8).lanewise(ASHR, 31)))
                        : Table16.select(q5, t0, t1, t2, t3)).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + 5 * SPAN), a5);
                IntVector q6 = v.lanewise(LSHR, 24);
                a6 = (HALVES ? q6.selectFrom(t0).lanewise(XOR, q6.selectFrom(tx).and(v.lanewise(LSHL, 4).lanewise(ASHR, 31)))
                        : Table16.select(q6, t0, t1, t2, t3)).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + 6 * SPAN), a6);
                IntVector q7 = v.lanewise(LSHR, 28);
                a7 = (HALVES ? q7.selectFrom(t0).lanewise(XOR, q7.selectFrom(tx).and(v.lanewise(ASHR, 31)))
                        : Table16.select(q7, t0, t1, t2, t3)).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + 7 * SPAN), a7);
            }
        }
        Prefetch.consume(touched);
        return a0.add(a1).add(a2.add(a3)).add(a4.add(a5).add(a6.add(a7))).reduceLanes(VectorOperators.ADD);
    }

    @Override
    void dot4(MemorySegment codes, long off, MemorySegment lut, long lutOff, int k,
              float[] x, int x0, int x1, int x2, int x3, float[] out) {
        IntVector t0 = IntVector.fromMemorySegment(I, lut, lutOff, LE);
        IntVector t1 = Table16.VECTORS > 1 ? IntVector.fromMemorySegment(I, lut, lutOff + 4L * LANES, LE) : t0;
        IntVector t2 = Table16.VECTORS > 2 ? IntVector.fromMemorySegment(I, lut, lutOff + 8L * LANES, LE) : t0;
        IntVector t3 = Table16.VECTORS > 2 ? IntVector.fromMemorySegment(I, lut, lutOff + 12L * LANES, LE) : t0;
        int blocks = k / BLOCK;
        // even and odd planes go to separate accumulators: one FMA per accumulator per two planes
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * BLOCK_BYTES;
            for (int p = 0; p < PARTS; p++) {
                IntVector v = IntVector.fromMemorySegment(I, codes, bo + 4L * LANES * p, LE);
                for (int t = 0; t < PLANES; t += 2) {
                    IntVector q = v.lanewise(LSHR, 4 * t);
                    IntVector r = v.lanewise(LSHR, 4 * t + 4);
                    FloatVector we = Table16.select(q, t0, t1, t2, t3).reinterpretAsFloats();
                    FloatVector wo = Table16.select(r, t0, t1, t2, t3).reinterpretAsFloats();
                    int c = b * BLOCK + SPAN * t + LANES * p;
                    a0 = we.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                    a1 = we.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                    a2 = we.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                    a3 = we.fma(FloatVector.fromArray(F, x, x3 + c), a3);
                    b0 = wo.fma(FloatVector.fromArray(F, x, x0 + c + SPAN), b0);
                    b1 = wo.fma(FloatVector.fromArray(F, x, x1 + c + SPAN), b1);
                    b2 = wo.fma(FloatVector.fromArray(F, x, x2 + c + SPAN), b2);
                    b3 = wo.fma(FloatVector.fromArray(F, x, x3 + c + SPAN), b3);
                }
            }
        }
        out[0] = a0.add(b0).reduceLanes(VectorOperators.ADD);
        out[1] = a1.add(b1).reduceLanes(VectorOperators.ADD);
        out[2] = a2.add(b2).reduceLanes(VectorOperators.ADD);
        out[3] = a3.add(b3).reduceLanes(VectorOperators.ADD);
    }
}
