package io.isthmus.runtime.quant.lookup;

import static io.isthmus.runtime.kernel.VectorSettings.B;
import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.I;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;
import static io.isthmus.runtime.kernel.VectorSettings.S;
import static io.isthmus.runtime.quant.packing.CodePlanes.CHUNK;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;

import io.isthmus.runtime.quant.packing.CodePlanes;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

/**
 * 3-bit codes in two planes: the low 2 bits (a short per stored lane and chunk, slab j at bits
 * 2j..2j+1) and the top bit (a byte per lane, slab j at bit j). Both widen to int lanes once per
 * chunk; the top-bit plane is shifted left by 2 so that one right shift by j puts slab j's bit at
 * bit 2. Per slab: two shifts, a bit blend (bits 0-1 from the low plane, bit 2 from the top one;
 * the bits above are left over from the low plane, which the doubled 8-level table ignores), a
 * one-register permute and an fma: the 8 levels fill a 256-bit register, and at 512 bits the doubled
 * table does, so 3-bit codes never need the two-register permute of the 4-bit ones (which the JIT
 * lowers on AVX2 into code about 4× as slow).
 */
final class Lookup3Dots extends RowTables {

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int SLAB = CodePlanes.LANES;
    /** Bytes per chunk in the 2-bit and the 1-bit plane. */
    private static final int LO_BYTES = 32, HI_BYTES = 16;
    private static final int BIT2 = 4;

    private final MemorySegment lo;
    private final MemorySegment hi;

    Lookup3Dots(LookupMatrix w, float[] table) {
        super(w, table);
        this.lo = codes.plane(0);
        this.hi = codes.plane(1);
    }

    /** One x row: unscaled lookups, scaled per 32-column slot, as in {@link Lookup4Dots#dot1}. */
    @Override
    public float dot1(int row, float[] x, int xo) {
        if (!VECTOR) {
            return scalarDot(row, x, xo);
        }
        short[] sh = scales.halves();
        int si = scales.rowIndex(row);
        int gs = groupShift;
        IntVector la = FloatVector.fromArray(F, levels, 0).reinterpretAsInts();
        long offLo = codes.rowOffset(0, row), offHi = codes.rowOffset(1, row);
        int full = k / CHUNK;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        boolean oneGroup = slot3 == 0, twoGroups = slot1 == 0; // see Lookup4Dots
        for (int ch = 0; ch < full; ch++) {
            long oLo = offLo + (long) ch * LO_BYTES, oHi = offHi + (long) ch * HI_BYTES;
            int col = ch * CHUNK;
            float s0 = Float.float16ToFloat(sh[si + (col >>> gs)]);
            float s1 = twoGroups ? s0 : Float.float16ToFloat(sh[si + ((col + 32) >>> gs)]);
            float s2 = oneGroup ? s0 : Float.float16ToFloat(sh[si + ((col + 64) >>> gs)]);
            float s3 = twoGroups ? s2 : Float.float16ToFloat(sh[si + ((col + 96) >>> gs)]);
            for (int p = 0; p < SLAB; p += LANES) {
                IntVector l = (IntVector) ShortVector.fromMemorySegment(S, lo, oLo + 2L * p, LE).convertShape(S2I, I, 0);
                int at = p / B.length() * B.length(); // B holds at least LANES bytes: take its part
                IntVector h = ((IntVector) ByteVector.fromMemorySegment(B, hi, oHi + at, LE)
                        .convertShape(B2I, I, (p - at) / LANES)).lanewise(LSHL, 2);
                int c = xo + col + p;
                FloatVector p0 = l.bitwiseBlend(h, BIT2).selectFrom(la).reinterpretAsFloats()
                        .mul(FloatVector.fromArray(F, x, c));
                FloatVector p1 = l.lanewise(LSHR, 4).bitwiseBlend(h.lanewise(LSHR, 2), BIT2).selectFrom(la)
                        .reinterpretAsFloats().mul(FloatVector.fromArray(F, x, c + 32));
                FloatVector p2 = l.lanewise(LSHR, 8).bitwiseBlend(h.lanewise(LSHR, 4), BIT2).selectFrom(la)
                        .reinterpretAsFloats().mul(FloatVector.fromArray(F, x, c + 64));
                FloatVector p3 = l.lanewise(LSHR, 12).bitwiseBlend(h.lanewise(LSHR, 6), BIT2).selectFrom(la)
                        .reinterpretAsFloats().mul(FloatVector.fromArray(F, x, c + 96));
                p0 = l.lanewise(LSHR, 2).bitwiseBlend(h.lanewise(LSHR, 1), BIT2).selectFrom(la).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, c + 16), p0);
                p1 = l.lanewise(LSHR, 6).bitwiseBlend(h.lanewise(LSHR, 3), BIT2).selectFrom(la).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, c + 48), p1);
                p2 = l.lanewise(LSHR, 10).bitwiseBlend(h.lanewise(LSHR, 5), BIT2).selectFrom(la).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, c + 80), p2);
                p3 = l.lanewise(LSHR, 14).bitwiseBlend(h.lanewise(LSHR, 7), BIT2).selectFrom(la).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(F, x, c + 112), p3);
                a0 = p0.fma(FloatVector.broadcast(F, s0), a0);
                a1 = p1.fma(FloatVector.broadcast(F, s1), a1);
                a2 = p2.fma(FloatVector.broadcast(F, s2), a2);
                a3 = p3.fma(FloatVector.broadcast(F, s3), a3);
            }
        }
        float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(ADD) + minTerm(row, x, xo);
        if (full * CHUNK < k) {
            prepare(row);
            sum += rest(row, offLo, offHi, x, xo);
        }
        return sum;
    }

    @Override
    public void dot4(int row, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        if (!VECTOR) {
            out[0] = scalarDot(row, x, x0);
            out[1] = scalarDot(row, x, x1);
            out[2] = scalarDot(row, x, x2);
            out[3] = scalarDot(row, x, x3);
            return;
        }
        prepare(row);
        float[] t = tables;
        long offLo = codes.rowOffset(0, row), offHi = codes.rowOffset(1, row);
        int full = k / CHUNK;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int ch = 0; ch < full; ch++) {
            long oLo = offLo + (long) ch * LO_BYTES, oHi = offHi + (long) ch * HI_BYTES;
            int col = ch * CHUNK;
            for (int j = 0; j < 8; j++) {
                int s = tableAt(col + 16 * j);
                IntVector ta = FloatVector.fromArray(F, t, s).reinterpretAsInts();
                for (int p = 0; p < SLAB; p += LANES) {
                    IntVector l = (IntVector) ShortVector.fromMemorySegment(S, lo, oLo + 2L * p, LE).convertShape(S2I, I, 0);
                    int at = p / B.length() * B.length();
                    IntVector h = ((IntVector) ByteVector.fromMemorySegment(B, hi, oHi + at, LE)
                            .convertShape(B2I, I, (p - at) / LANES)).lanewise(LSHL, 2);
                    FloatVector wv = l.lanewise(LSHR, 2 * j).bitwiseBlend(h.lanewise(LSHR, j), BIT2)
                            .selectFrom(ta).reinterpretAsFloats();
                    int c = col + 16 * j + p;
                    a0 = wv.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                    a1 = wv.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                    a2 = wv.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                    a3 = wv.fma(FloatVector.fromArray(F, x, x3 + c), a3);
                }
            }
        }
        out[0] = a0.reduceLanes(ADD) + rest(row, offLo, offHi, x, x0);
        out[1] = a1.reduceLanes(ADD) + rest(row, offLo, offHi, x, x1);
        out[2] = a2.reduceLanes(ADD) + rest(row, offLo, offHi, x, x2);
        out[3] = a3.reduceLanes(ADD) + rest(row, offLo, offHi, x, x3);
    }

    /** The columns past the last whole chunk (see {@link Lookup4Dots}). */
    private float rest(int row, long offLo, long offHi, float[] x, int xo) {
        int col0 = k / CHUNK * CHUNK;
        if (col0 == k) {
            return 0;
        }
        float[] t = tables;
        long oLo = offLo + (long) (k / CHUNK) * LO_BYTES, oHi = offHi + (long) (k / CHUNK) * HI_BYTES;
        int slabs = (k - col0) / SLAB;
        FloatVector acc = FloatVector.zero(F);
        for (int j = 0; j < slabs; j++) {
            int col = col0 + j * SLAB;
            int s = tableAt(col);
            IntVector ta = FloatVector.fromArray(F, t, s).reinterpretAsInts();
            for (int p = 0; p < SLAB; p += LANES) {
                IntVector l = (IntVector) ShortVector.fromMemorySegment(S, lo, oLo + 2L * p, LE).convertShape(S2I, I, 0);
                int at = p / B.length() * B.length();
                IntVector h = ((IntVector) ByteVector.fromMemorySegment(B, hi, oHi + at, LE)
                        .convertShape(B2I, I, (p - at) / LANES)).lanewise(LSHL, 2);
                acc = l.lanewise(LSHR, 2 * j).bitwiseBlend(h.lanewise(LSHR, j), BIT2).selectFrom(ta)
                        .reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + col + p), acc);
            }
        }
        float sum = acc.reduceLanes(ADD);
        for (int c = col0 + slabs * SLAB; c < k; c++) {
            sum += t[tableAt(c) + codes.code(row, c)] * x[xo + c];
        }
        return sum;
    }
}
