package io.isthmus.runtime.quant.codebook;

import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.I;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * lut3 rows ({@link CodePacking#THREE_BIT}): a block's three runs of 16 words are loaded as int
 * lanes; plane t (columns 16t .. 16t + 15) is one shift of one of them (two shifts and an OR for
 * planes 30 and 31, whose codes straddle words), and its codes index the row's 8-entry table by a
 * lane permute. The bits above a code are never masked: lane indices wrap, and where a vector has
 * more lanes than the table (512 bits) the table is repeated to fill it.
 */
final class Lut3Kernel extends LutKernel {

    private static final int BLOCK = 512;
    private static final int BLOCK_BYTES = 192;
    private static final int PLANES = 32;
    /** Columns per plane. */
    private static final int SPAN = CodePacking.LANES;
    /** Vector loads per run of 16 words (1 at 512 bits, 2 at 256, 4 at 128). */
    private static final int PARTS = CodePacking.LANES / LANES;
    /** Int vectors holding the 8-entry table (2 at 128 bits). */
    private static final int TABLES = Math.max(1, 8 / LANES);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Repeats the first 8 lanes over a wider vector. */
    private static final VectorShuffle<Integer> REPEAT8 = VectorShuffle.fromOp(I, l -> l & 7);

    /*
     * Loop shape: planes 0-29 run as three loops of ten shifts of one loaded word, each summing into
     * a fresh vector that is added to the accumulator afterwards. The ten-FMA chains of the three
     * words and of the next blocks are independent, so they overlap; rotating accumulators instead
     * cost three register moves a plane where C2 did not unroll the loop.
     */

    @Override
    float dot1(MemorySegment codes, long off, MemorySegment lut, long lutOff, int k, float[] x, int xo) {
        IntVector t0 = LANES > 8 ? ((IntVector) IntVector.fromMemorySegment(IntVector.SPECIES_256, lut, lutOff, LE)
                .reinterpretShape(I, 0)).rearrange(REPEAT8) : IntVector.fromMemorySegment(I, lut, lutOff, LE);
        IntVector t1 = TABLES > 1 ? IntVector.fromMemorySegment(I, lut, lutOff + 4L * LANES, LE) : t0;
        int blocks = k / BLOCK;
        FloatVector acc = FloatVector.zero(F), last = acc;
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * BLOCK_BYTES;
            for (int p = 0; p < PARTS; p++) {
                long at = bo + 4L * LANES * p;
                int xc = xo + b * BLOCK + LANES * p;
                for (int u = 0; u < 3; u++) {
                    IntVector w = IntVector.fromMemorySegment(I, codes, at + 64L * u, LE);
                    FloatVector sum = FloatVector.zero(F);
                    for (int s = 0; s < 10; s++) {
                        IntVector q = w.lanewise(VectorOperators.LSHR, 3 * s);
                        IntVector wt = TABLES == 1 ? q.selectFrom(t0) : q.selectFrom(t0, t1);
                        sum = wt.reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xc + SPAN * (10 * u + s)), sum);
                    }
                    acc = acc.add(sum);
                }
                IntVector w0 = IntVector.fromMemorySegment(I, codes, at, LE);
                IntVector w1 = IntVector.fromMemorySegment(I, codes, at + 64, LE);
                IntVector w2 = IntVector.fromMemorySegment(I, codes, at + 128, LE);
                IntVector q30 = w0.lanewise(VectorOperators.LSHR, 30).or(w1.lanewise(VectorOperators.LSHR, 28).and(4));
                IntVector q31 = w1.lanewise(VectorOperators.LSHR, 31).or(w2.lanewise(VectorOperators.LSHR, 29).and(6));
                FloatVector w30 = (TABLES == 1 ? q30.selectFrom(t0) : q30.selectFrom(t0, t1)).reinterpretAsFloats();
                FloatVector w31 = (TABLES == 1 ? q31.selectFrom(t0) : q31.selectFrom(t0, t1)).reinterpretAsFloats();
                last = w30.fma(FloatVector.fromArray(F, x, xc + SPAN * 30), last);
                last = w31.fma(FloatVector.fromArray(F, x, xc + SPAN * 31), last);
            }
        }
        return acc.add(last).reduceLanes(VectorOperators.ADD);
    }

    @Override
    void dot4(MemorySegment codes, long off, MemorySegment lut, long lutOff, int k,
              float[] x, int x0, int x1, int x2, int x3, float[] out) {
        IntVector t0 = LANES > 8 ? ((IntVector) IntVector.fromMemorySegment(IntVector.SPECIES_256, lut, lutOff, LE)
                .reinterpretShape(I, 0)).rearrange(REPEAT8) : IntVector.fromMemorySegment(I, lut, lutOff, LE);
        IntVector t1 = TABLES > 1 ? IntVector.fromMemorySegment(I, lut, lutOff + 4L * LANES, LE) : t0;
        int blocks = k / BLOCK;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * BLOCK_BYTES;
            for (int p = 0; p < PARTS; p++) {
                long at = bo + 4L * LANES * p;
                int c0 = b * BLOCK + LANES * p;
                for (int u = 0; u < 3; u++) {
                    IntVector w = IntVector.fromMemorySegment(I, codes, at + 64L * u, LE);
                    FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
                    for (int s = 0; s < 10; s++) {
                        IntVector q = w.lanewise(VectorOperators.LSHR, 3 * s);
                        FloatVector wt = (TABLES == 1 ? q.selectFrom(t0) : q.selectFrom(t0, t1)).reinterpretAsFloats();
                        int c = c0 + SPAN * (10 * u + s);
                        s0 = wt.fma(FloatVector.fromArray(F, x, x0 + c), s0);
                        s1 = wt.fma(FloatVector.fromArray(F, x, x1 + c), s1);
                        s2 = wt.fma(FloatVector.fromArray(F, x, x2 + c), s2);
                        s3 = wt.fma(FloatVector.fromArray(F, x, x3 + c), s3);
                    }
                    a0 = a0.add(s0);
                    a1 = a1.add(s1);
                    a2 = a2.add(s2);
                    a3 = a3.add(s3);
                }
                IntVector w0 = IntVector.fromMemorySegment(I, codes, at, LE);
                IntVector w1 = IntVector.fromMemorySegment(I, codes, at + 64, LE);
                IntVector w2 = IntVector.fromMemorySegment(I, codes, at + 128, LE);
                IntVector q30 = w0.lanewise(VectorOperators.LSHR, 30).or(w1.lanewise(VectorOperators.LSHR, 28).and(4));
                IntVector q31 = w1.lanewise(VectorOperators.LSHR, 31).or(w2.lanewise(VectorOperators.LSHR, 29).and(6));
                FloatVector w30 = (TABLES == 1 ? q30.selectFrom(t0) : q30.selectFrom(t0, t1)).reinterpretAsFloats();
                FloatVector w31 = (TABLES == 1 ? q31.selectFrom(t0) : q31.selectFrom(t0, t1)).reinterpretAsFloats();
                int c = c0 + SPAN * 30;
                a0 = w31.fma(FloatVector.fromArray(F, x, x0 + c + SPAN), w30.fma(FloatVector.fromArray(F, x, x0 + c), a0));
                a1 = w31.fma(FloatVector.fromArray(F, x, x1 + c + SPAN), w30.fma(FloatVector.fromArray(F, x, x1 + c), a1));
                a2 = w31.fma(FloatVector.fromArray(F, x, x2 + c + SPAN), w30.fma(FloatVector.fromArray(F, x, x2 + c), a2));
                a3 = w31.fma(FloatVector.fromArray(F, x, x3 + c + SPAN), w30.fma(FloatVector.fromArray(F, x, x3 + c), a3));
            }
        }
        out[0] = a0.reduceLanes(VectorOperators.ADD);
        out[1] = a1.reduceLanes(VectorOperators.ADD);
        out[2] = a2.reduceLanes(VectorOperators.ADD);
        out[3] = a3.reduceLanes(VectorOperators.ADD);
    }
}
