package io.isthmus.runtime.quant.lookup;

import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.I;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;
import static io.isthmus.runtime.quant.packing.CodePlanes.CHUNK;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.XOR;

import io.isthmus.runtime.quant.packing.CodePlanes;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * 4-bit codes: a chunk of 128 columns is one int per stored lane (16 × 4 bytes), slab j in its
 * nibble j. Per slab: a shift, a permute (with the mask the API adds to wrap its index), an fma;
 * the four accumulators take two slabs each, so no fma waits on the one before. At 512 bits the
 * permute takes one register of 16 levels. At 256 bits it picks from two halves, written as
 * {@code lo[i] ^ ((lo ^ hi)[i] & −bit3(i))}: two one-register permutes and three integer ops. On
 * Zen 3 (AVX2) that took nf4-g64's GEMV from 2.1 to 3.7 GB/s (one run each, back to back) against
 * {@code selectFrom(lo, hi)}, which the JIT lowers there into slower code. It is written out at
 * each use, as no helper inlines here. Groups are at least
 * 32 wide, so a chunk has at most four scales or tables, one per 32-column slot.
 */
final class Lookup4Dots extends RowTables {

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int SLAB = CodePlanes.LANES;
    /** Bytes of a chunk in the nibble plane. */
    private static final int CHUNK_BYTES = 64;

    private final MemorySegment seg;

    Lookup4Dots(LookupMatrix w, float[] table) {
        super(w, table);
        this.seg = codes.plane(0);
    }

    /**
     * One x row: levels are looked up unscaled (a table that never changes), each 32-column slot's
     * two slabs summed, and the sum scaled once by its group's scale; an asymmetric format's
     * minimums add {@code Σ_g min_g · Σ_{c in g} x_c} at the end ({@link #minTerm}). This needs no
     * per-row tables, which cost more than they save for a single x row.
     */
    @Override
    public float dot1(int row, float[] x, int xo) {
        if (!VECTOR) {
            return scalarDot(row, x, xo);
        }
        short[] sh = scales.halves();
        int si = scales.rowIndex(row);
        int gs = groupShift;
        IntVector la = FloatVector.fromArray(F, levels, 0).reinterpretAsInts();
        IntVector lb = SECOND == 0 ? la : FloatVector.fromArray(F, levels, SECOND).reinterpretAsInts();
        IntVector lx = la.lanewise(XOR, lb); // at 256 bits: high half ^ low half, for the one-register lookups
        long off = codes.rowOffset(0, row);
        int full = k / CHUNK;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        // a chunk spans one group of 128 or more, two of 64, four of 32: the tests are
        // loop-invariant, so C2 unswitches the loop instead of reading scales it has
        boolean oneGroup = slot3 == 0, twoGroups = slot1 == 0;
        for (int ch = 0; ch < full; ch++) {
            long o = off + (long) ch * CHUNK_BYTES;
            int col = ch * CHUNK;
            float s0 = Float.float16ToFloat(sh[si + (col >>> gs)]);
            float s1 = twoGroups ? s0 : Float.float16ToFloat(sh[si + ((col + 32) >>> gs)]);
            float s2 = oneGroup ? s0 : Float.float16ToFloat(sh[si + ((col + 64) >>> gs)]);
            float s3 = twoGroups ? s2 : Float.float16ToFloat(sh[si + ((col + 96) >>> gs)]);
            for (int p = 0; p < SLAB; p += LANES) { // one pass at 512 bits, two at 256
                IntVector v = IntVector.fromMemorySegment(I, seg, o + 4L * p, LE);
                int c = xo + col + p;
                FloatVector p0 = (SECOND == 0 ? v.selectFrom(la)
                        : v.selectFrom(la).lanewise(XOR, v.selectFrom(lx).and(v.lanewise(LSHL, 28).lanewise(ASHR, 31))))
                        .reinterpretAsFloats().mul(FloatVector.fromArray(F, x, c));
                IntVector q2 = v.lanewise(LSHR, 8);
                FloatVector p1 = (SECOND == 0 ? q2.selectFrom(la)
                        : q2.selectFrom(la).lanewise(XOR, q2.selectFrom(lx).and(v.lanewise(LSHL, 20).lanewise(ASHR, 31))))
                        .reinterpretAsFloats().mul(FloatVector.fromArray(F, x, c + 32));
                IntVector q4 = v.lanewise(LSHR, 16);
                FloatVector p2 = (SECOND == 0 ? q4.selectFrom(la)
                        : q4.selectFrom(la).lanewise(XOR, q4.selectFrom(lx).and(v.lanewise(LSHL, 12).lanewise(ASHR, 31))))
                        .reinterpretAsFloats().mul(FloatVector.fromArray(F, x, c + 64));
                IntVector q6 = v.lanewise(LSHR, 24);
                FloatVector p3 = (SECOND == 0 ? q6.selectFrom(la)
                        : q6.selectFrom(la).lanewise(XOR, q6.selectFrom(lx).and(v.lanewise(LSHL, 4).lanewise(ASHR, 31))))
                        .reinterpretAsFloats().mul(FloatVector.fromArray(F, x, c + 96));
                IntVector q1 = v.lanewise(LSHR, 4);
                p0 = (SECOND == 0 ? q1.selectFrom(la)
                        : q1.selectFrom(la).lanewise(XOR, q1.selectFrom(lx).and(v.lanewise(LSHL, 24).lanewise(ASHR, 31))))
                        .reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + 16), p0);
                IntVector q3 = v.lanewise(LSHR, 12);
                p1 = (SECOND == 0 ? q3.selectFrom(la)
                        : q3.selectFrom(la).lanewise(XOR, q3.selectFrom(lx).and(v.lanewise(LSHL, 16).lanewise(ASHR, 31))))
                        .reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + 48), p1);
                IntVector q5 = v.lanewise(LSHR, 20);
                p2 = (SECOND == 0 ? q5.selectFrom(la)
                        : q5.selectFrom(la).lanewise(XOR, q5.selectFrom(lx).and(v.lanewise(LSHL, 8).lanewise(ASHR, 31))))
                        .reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + 80), p2);
                IntVector q7 = v.lanewise(LSHR, 28);
                p3 = (SECOND == 0 ? q7.selectFrom(la)
                        : q7.selectFrom(la).lanewise(XOR, q7.selectFrom(lx).and(v.lanewise(LSHL, 0).lanewise(ASHR, 31))))
                        .reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + 112), p3);
                a0 = p0.fma(FloatVector.broadcast(F, s0), a0);
                a1 = p1.fma(FloatVector.broadcast(F, s1), a1);
                a2 = p2.fma(FloatVector.broadcast(F, s2), a2);
                a3 = p3.fma(FloatVector.broadcast(F, s3), a3);
            }
        }
        float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(ADD) + minTerm(row, x, xo);
        if (full * CHUNK < k) {
            prepare(row);
            sum += rest(row, off, x, xo);
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
        long off = codes.rowOffset(0, row);
        int full = k / CHUNK;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int ch = 0; ch < full; ch++) {
            long o = off + (long) ch * CHUNK_BYTES;
            int col = ch * CHUNK;
            for (int j = 0; j < 8; j++) {
                int s = tableAt(col + 16 * j);
                IntVector ta = FloatVector.fromArray(F, t, s).reinterpretAsInts();
                IntVector tx = SECOND == 0 ? ta : ta.lanewise(XOR, FloatVector.fromArray(F, t, s + SECOND).reinterpretAsInts());
                for (int p = 0; p < SLAB; p += LANES) {
                    IntVector v = IntVector.fromMemorySegment(I, seg, o + 4L * p, LE), idx = v.lanewise(LSHR, 4 * j);
                    FloatVector wv = (SECOND == 0 ? idx.selectFrom(ta) : idx.selectFrom(ta).lanewise(XOR,
                            idx.selectFrom(tx).and(v.lanewise(LSHL, 28 - 4 * j).lanewise(ASHR, 31)))).reinterpretAsFloats();
                    int c = col + 16 * j + p;
                    a0 = wv.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                    a1 = wv.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                    a2 = wv.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                    a3 = wv.fma(FloatVector.fromArray(F, x, x3 + c), a3);
                }
            }
        }
        out[0] = a0.reduceLanes(ADD) + rest(row, off, x, x0);
        out[1] = a1.reduceLanes(ADD) + rest(row, off, x, x1);
        out[2] = a2.reduceLanes(ADD) + rest(row, off, x, x2);
        out[3] = a3.reduceLanes(ADD) + rest(row, off, x, x3);
    }

    /**
     * The columns past the last whole chunk: whole slabs of the padded last chunk by vector, then
     * the last {@code k % 16} columns one by one (0 when k is a multiple of 128).
     */
    private float rest(int row, long off, float[] x, int xo) {
        int col0 = k / CHUNK * CHUNK;
        if (col0 == k) {
            return 0;
        }
        float[] t = tables;
        long o = off + (long) (k / CHUNK) * CHUNK_BYTES;
        int slabs = (k - col0) / SLAB;
        FloatVector acc = FloatVector.zero(F);
        for (int j = 0; j < slabs; j++) {
            int col = col0 + j * SLAB;
            int s = tableAt(col);
            IntVector ta = FloatVector.fromArray(F, t, s).reinterpretAsInts();
            IntVector tx = SECOND == 0 ? ta : ta.lanewise(XOR, FloatVector.fromArray(F, t, s + SECOND).reinterpretAsInts());
            for (int p = 0; p < SLAB; p += LANES) {
                IntVector v = IntVector.fromMemorySegment(I, seg, o + 4L * p, LE), idx = v.lanewise(LSHR, 4 * j);
                acc = (SECOND == 0 ? idx.selectFrom(ta) : idx.selectFrom(ta).lanewise(XOR,
                        idx.selectFrom(tx).and(v.lanewise(LSHL, 28 - 4 * j).lanewise(ASHR, 31))))
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
