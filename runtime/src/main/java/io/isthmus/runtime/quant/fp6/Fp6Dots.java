package io.isthmus.runtime.quant.fp6;

import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.I;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;
import static io.isthmus.runtime.kernel.VectorSettings.S;
import static io.isthmus.runtime.quant.packing.CodePlanes.CHUNK;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.ROL;
import static jdk.incubator.vector.VectorOperators.S2I;

import io.isthmus.runtime.kernel.RowTiles;
import io.isthmus.runtime.quant.packing.CodePlanes;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

/**
 * FP6 e3m2 decoded by shifting bits into an f32, no table: the low plane's 4 bits (e1 e0 m1 m0) go
 * to f32 bits 21-24, the top plane's e2 to bit 25 and its sign to bit 31 (two bit blends and a mask),
 * which puts e in the f32 exponent's low bits and m at the top of its mantissa; the f32 is then
 * 2^(e−127)·(1 + m/4), or a subnormal m·2^−128 for e = 0, and one multiplication by 2^124 makes it
 * the e3m2 value exactly in both cases. The row's scale multiplies the sums at the end.
 */
final class Fp6Dots implements RowTiles.RowDots {

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int SLAB = CodePlanes.LANES;
    /** Bytes per chunk in the 4-bit and the 2-bit plane. */
    private static final int LO_BYTES = 64, HI_BYTES = 32;
    private static final int E2_BIT = 1 << 25, SIGN_BIT = 1 << 31, KEEP = 0x83E00000;
    private static final float REBIAS = 0x1p124f;

    private final CodePlanes codes;
    private final MemorySegment lo;
    private final MemorySegment hi;
    private final Fp6Matrix w;
    private final int k;

    Fp6Dots(Fp6Matrix w) {
        this.w = w;
        this.codes = w.codes();
        this.lo = codes.plane(0);
        this.hi = codes.plane(1);
        this.k = w.cols();
    }

    @Override
    public float dot1(int row, float[] x, int xo) {
        long offLo = codes.rowOffset(0, row), offHi = codes.rowOffset(1, row);
        int full = k / CHUNK;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int ch = 0; ch < full; ch++) {
            long oLo = offLo + (long) ch * LO_BYTES, oHi = offHi + (long) ch * HI_BYTES;
            int col = ch * CHUNK;
            for (int p = 0; p < SLAB; p += LANES) {
                IntVector l = IntVector.fromMemorySegment(I, lo, oLo + 4L * p, LE);
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S, hi, oHi + 2L * p, LE).convertShape(S2I, I, 0);
                int c = xo + col + p;
                a0 = l.lanewise(ROL, 21).bitwiseBlend(h.lanewise(LSHL, 25), E2_BIT).bitwiseBlend(h.lanewise(LSHL, 30), SIGN_BIT)
                        .and(KEEP).reinterpretAsFloats().mul(REBIAS).fma(FloatVector.fromArray(F, x, c), a0);
                a1 = l.lanewise(ROL, 17).bitwiseBlend(h.lanewise(LSHL, 23), E2_BIT).bitwiseBlend(h.lanewise(LSHL, 28), SIGN_BIT)
                        .and(KEEP).reinterpretAsFloats().mul(REBIAS).fma(FloatVector.fromArray(F, x, c + 16), a1);
                a2 = l.lanewise(ROL, 13).bitwiseBlend(h.lanewise(LSHL, 21), E2_BIT).bitwiseBlend(h.lanewise(LSHL, 26), SIGN_BIT)
                        .and(KEEP).reinterpretAsFloats().mul(REBIAS).fma(FloatVector.fromArray(F, x, c + 32), a2);
                a3 = l.lanewise(ROL, 9).bitwiseBlend(h.lanewise(LSHL, 19), E2_BIT).bitwiseBlend(h.lanewise(LSHL, 24), SIGN_BIT)
                        .and(KEEP).reinterpretAsFloats().mul(REBIAS).fma(FloatVector.fromArray(F, x, c + 48), a3);
                a0 = l.lanewise(ROL, 5).bitwiseBlend(h.lanewise(LSHL, 17), E2_BIT).bitwiseBlend(h.lanewise(LSHL, 22), SIGN_BIT)
                        .and(KEEP).reinterpretAsFloats().mul(REBIAS).fma(FloatVector.fromArray(F, x, c + 64), a0);
                a1 = l.lanewise(ROL, 1).bitwiseBlend(h.lanewise(LSHL, 15), E2_BIT).bitwiseBlend(h.lanewise(LSHL, 20), SIGN_BIT)
                        .and(KEEP).reinterpretAsFloats().mul(REBIAS).fma(FloatVector.fromArray(F, x, c + 80), a1);
                a2 = l.lanewise(ROL, 29).bitwiseBlend(h.lanewise(LSHL, 13), E2_BIT).bitwiseBlend(h.lanewise(LSHL, 18), SIGN_BIT)
                        .and(KEEP).reinterpretAsFloats().mul(REBIAS).fma(FloatVector.fromArray(F, x, c + 96), a2);
                a3 = l.lanewise(ROL, 25).bitwiseBlend(h.lanewise(LSHL, 11), E2_BIT).bitwiseBlend(h.lanewise(LSHL, 16), SIGN_BIT)
                        .and(KEEP).reinterpretAsFloats().mul(REBIAS).fma(FloatVector.fromArray(F, x, c + 112), a3);
            }
        }
        float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(ADD) + rest(row, offLo, offHi, x, xo);
        return sum * w.scales().get(row, 0);
    }

    @Override
    public void dot4(int row, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        long offLo = codes.rowOffset(0, row), offHi = codes.rowOffset(1, row);
        int full = k / CHUNK;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int ch = 0; ch < full; ch++) {
            long oLo = offLo + (long) ch * LO_BYTES, oHi = offHi + (long) ch * HI_BYTES;
            int col = ch * CHUNK;
            for (int p = 0; p < SLAB; p += LANES) {
                IntVector l = IntVector.fromMemorySegment(I, lo, oLo + 4L * p, LE);
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S, hi, oHi + 2L * p, LE).convertShape(S2I, I, 0);
                for (int j = 0; j < 8; j++) {
                    FloatVector wv = l.lanewise(ROL, 21 - 4 * j).bitwiseBlend(h.lanewise(LSHL, 25 - 2 * j), E2_BIT)
                            .bitwiseBlend(h.lanewise(LSHL, 30 - 2 * j), SIGN_BIT).and(KEEP).reinterpretAsFloats().mul(REBIAS);
                    int c = col + 16 * j + p;
                    a0 = wv.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                    a1 = wv.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                    a2 = wv.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                    a3 = wv.fma(FloatVector.fromArray(F, x, x3 + c), a3);
                }
            }
        }
        float s = w.scales().get(row, 0);
        out[0] = (a0.reduceLanes(ADD) + rest(row, offLo, offHi, x, x0)) * s;
        out[1] = (a1.reduceLanes(ADD) + rest(row, offLo, offHi, x, x1)) * s;
        out[2] = (a2.reduceLanes(ADD) + rest(row, offLo, offHi, x, x2)) * s;
        out[3] = (a3.reduceLanes(ADD) + rest(row, offLo, offHi, x, x3)) * s;
    }

    /** Unscaled Σ over the columns past the last whole chunk: whole slabs by vector, then one by one. */
    private float rest(int row, long offLo, long offHi, float[] x, int xo) {
        int col0 = k / CHUNK * CHUNK;
        if (col0 == k) {
            return 0;
        }
        long oLo = offLo + (long) (k / CHUNK) * LO_BYTES, oHi = offHi + (long) (k / CHUNK) * HI_BYTES;
        int slabs = (k - col0) / SLAB;
        FloatVector acc = FloatVector.zero(F);
        for (int j = 0; j < slabs; j++) {
            int col = col0 + j * SLAB;
            for (int p = 0; p < SLAB; p += LANES) {
                IntVector l = IntVector.fromMemorySegment(I, lo, oLo + 4L * p, LE);
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S, hi, oHi + 2L * p, LE).convertShape(S2I, I, 0);
                acc = l.lanewise(ROL, 21 - 4 * j).bitwiseBlend(h.lanewise(LSHL, 25 - 2 * j), E2_BIT)
                        .bitwiseBlend(h.lanewise(LSHL, 30 - 2 * j), SIGN_BIT).and(KEEP).reinterpretAsFloats().mul(REBIAS)
                        .fma(FloatVector.fromArray(F, x, xo + col + p), acc);
            }
        }
        float s = acc.reduceLanes(ADD);
        for (int c = col0 + slabs * SLAB; c < k; c++) {
            s += E3M2.value(codes.code(row, c)) * x[xo + c];
        }
        return s;
    }
}
