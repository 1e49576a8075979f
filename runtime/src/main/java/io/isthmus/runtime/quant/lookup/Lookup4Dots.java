package io.isthmus.runtime.quant.lookup;

import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.I;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;
import static io.isthmus.runtime.quant.packing.CodePlanes.CHUNK;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.LSHR;

import io.isthmus.runtime.quant.packing.CodePlanes;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * 4-bit codes: a chunk of 128 columns is one int per stored lane (16 × 4 bytes), slab j in its
 * nibble j. Per slab: a shift, a permute of the group's table, an fma; the four accumulators of
 * dot1 take two slabs each, so no fma waits on the one before. Tables change every 32 columns at
 * most (groups are at least 32 wide), so a chunk uses four table slots.
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

    @Override
    public float dot1(int row, float[] x, int xo) {
        if (!VECTOR) {
            return scalarDot(row, x, xo);
        }
        prepare(row);
        float[] t = tables;
        long off = codes.rowOffset(0, row);
        int full = k / CHUNK;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        // groups of 128 or more use one table per chunk, of 64 two: skipping the other loads is worth
        // 10-25 % (their bounds checks and offsets); the tests are loop-invariant, so C2 unswitches
        boolean oneTable = slot3 == 0, twoTables = slot1 == 0;
        for (int ch = 0; ch < full; ch++) {
            long o = off + (long) ch * CHUNK_BYTES;
            int col = ch * CHUNK;
            int s0 = tableAt(col), s1 = s0 + slot1, s2 = s0 + slot2, s3 = s0 + slot3;
            IntVector t0a = FloatVector.fromArray(F, t, s0).reinterpretAsInts();
            IntVector t0b = SECOND == 0 ? t0a : FloatVector.fromArray(F, t, s0 + SECOND).reinterpretAsInts();
            IntVector t1a = twoTables ? t0a : FloatVector.fromArray(F, t, s1).reinterpretAsInts();
            IntVector t1b = SECOND == 0 ? t1a : FloatVector.fromArray(F, t, s1 + SECOND).reinterpretAsInts();
            IntVector t2a = oneTable ? t0a : FloatVector.fromArray(F, t, s2).reinterpretAsInts();
            IntVector t2b = SECOND == 0 ? t2a : FloatVector.fromArray(F, t, s2 + SECOND).reinterpretAsInts();
            IntVector t3a = twoTables ? t2a : FloatVector.fromArray(F, t, s3).reinterpretAsInts();
            IntVector t3b = SECOND == 0 ? t3a : FloatVector.fromArray(F, t, s3 + SECOND).reinterpretAsInts();
            for (int p = 0; p < SLAB; p += LANES) { // one pass at 512 bits, two at 256
                IntVector v = IntVector.fromMemorySegment(I, seg, o + 4L * p, LE);
                int c = xo + col + p;
                a0 = v.selectFrom(t0a, t0b).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c), a0);
                a1 = v.lanewise(LSHR, 4).selectFrom(t0a, t0b).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + 16), a1);
                a2 = v.lanewise(LSHR, 8).selectFrom(t1a, t1b).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + 32), a2);
                a3 = v.lanewise(LSHR, 12).selectFrom(t1a, t1b).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + 48), a3);
                a0 = v.lanewise(LSHR, 16).selectFrom(t2a, t2b).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + 64), a0);
                a1 = v.lanewise(LSHR, 20).selectFrom(t2a, t2b).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + 80), a1);
                a2 = v.lanewise(LSHR, 24).selectFrom(t3a, t3b).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + 96), a2);
                a3 = v.lanewise(LSHR, 28).selectFrom(t3a, t3b).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + 112), a3);
            }
        }
        float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(ADD) + rest(row, off, x, xo);
        prepareNext(row);
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
                IntVector tb = SECOND == 0 ? ta : FloatVector.fromArray(F, t, s + SECOND).reinterpretAsInts();
                for (int p = 0; p < SLAB; p += LANES) {
                    FloatVector wv = IntVector.fromMemorySegment(I, seg, o + 4L * p, LE).lanewise(LSHR, 4 * j)
                            .selectFrom(ta, tb).reinterpretAsFloats();
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
        prepareNext(row);
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
            IntVector tb = SECOND == 0 ? ta : FloatVector.fromArray(F, t, s + SECOND).reinterpretAsInts();
            for (int p = 0; p < SLAB; p += LANES) {
                acc = IntVector.fromMemorySegment(I, seg, o + 4L * p, LE).lanewise(LSHR, 4 * j).selectFrom(ta, tb)
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
