package io.isthmus.runtime.kernel;

import static io.isthmus.runtime.kernel.VectorSettings.B;
import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.I;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;

import io.isthmus.runtime.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0 weights (blocks of 32: f16 scale d, the block's head, then 16 bytes of codes; byte j holds
 * element j in its low nibble and element j+16 in its high one; value (q−8)·d), for any placement
 * of the blocks ({@link BlockDots}). One row at a time, the bytes are widened to int lanes once, and
 * each nibble picks its value by a lane permute ({@code selectFrom}, whose index wrap drops the other
 * nibble) from a table of sixteen floats — no per-element conversion; the table takes one 512-bit
 * vector, two 256-bit or four 128-bit ones. A group of four rows ({@link #rows4}) converts instead,
 * against a rewritten x: four rows' lookups a step made the method too large for C2 to inline them
 * all.
 */
final class Q4_0Dots extends BlockDots {

    private static final int BLOCK = 32;
    /** Float vectors per byte-vector load (2 at 128 bits, else 1). */
    private static final int PARTS = B.length() / LANES;
    /** q − 8 for q = 0..15, split over Table16.VECTORS vectors. */
    private static final FloatVector C0 = centred(0), C1 = centred(1), C2 = centred(2), C3 = centred(3);

    static final Q4_0Dots INSTANCE = new Q4_0Dots();

    private Q4_0Dots() {
        super(GgmlType.Q4_0, 0, 2, 16);
    }

    private static FloatVector centred(int part) {
        float[] v = new float[LANES];
        for (int l = 0; l < LANES; l++) {
            v[l] = (part * LANES + l) % 16 - 8;
        }
        return FloatVector.fromArray(F, v, 0);
    }

    @Override
    void decode(MemorySegment codes, long codeAt, int codeStep, MemorySegment heads, long headAt, int headStep,
                int count, float[] out, int o) {
        long qo = codeAt, ho = headAt;
        for (int b = 0; b < count; b++, qo += codeStep, ho += headStep) {
            float d = Dequantize.f16(heads, ho);
            int ob = o + b * BLOCK;
            for (int j = 0; j < BLOCK / 2; j += B.length()) {
                ByteVector q = ByteVector.fromMemorySegment(B, codes, qo + j, ByteOrder.LITTLE_ENDIAN);
                for (int p = 0; p < PARTS; p++) {
                    IntVector bytes = (IntVector) q.convertShape(VectorOperators.B2I, I, p);
                    int c = ob + j + p * LANES;
                    ((FloatVector) bytes.and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).mul(d).intoArray(out, c);
                    ((FloatVector) bytes.lanewise(VectorOperators.LSHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0))
                            .mul(d).intoArray(out, c + BLOCK / 2);
                }
            }
        }
    }

    @Override
    float dot1(MemorySegment codes, long codeAt, int codeStep, MemorySegment heads, long headAt, int headStep,
               int k, float[] x, int xo) {
        int full = k / BLOCK;
        // two pairs of accumulators, swapped every block, so consecutive blocks' FMAs do not wait on each other
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        long qo = codeAt, ho = headAt;
        for (int b = 0; b < full; b++, qo += codeStep, ho += headStep) {
            float d = Dequantize.f16(heads, ho);
            IntVector t0 = C0.mul(d).reinterpretAsInts();
            IntVector t1 = Table16.VECTORS > 1 ? C1.mul(d).reinterpretAsInts() : t0;
            IntVector t2 = Table16.VECTORS > 2 ? C2.mul(d).reinterpretAsInts() : t0;
            IntVector t3 = Table16.VECTORS > 2 ? C3.mul(d).reinterpretAsInts() : t0;
            int xc = xo + b * BLOCK;
            for (int j = 0; j < BLOCK / 2; j += B.length()) { // constant trip counts: fully unrolled
                ByteVector q = ByteVector.fromMemorySegment(B, codes, qo + j, ByteOrder.LITTLE_ENDIAN);
                for (int p = 0; p < PARTS; p++) {
                    IntVector lo = (IntVector) q.convertShape(VectorOperators.B2I, I, p);
                    IntVector hi = lo.lanewise(VectorOperators.LSHR, 4);
                    IntVector wl = Table16.select(lo, t0, t1, t2, t3);
                    IntVector wh = Table16.select(hi, t0, t1, t2, t3);
                    int c = xc + j + p * LANES;
                    a0 = wl.reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c), a0);
                    a1 = wh.reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + BLOCK / 2), a1);
                }
            }
            FloatVector t = a0;
            a0 = a2;
            a2 = t;
            t = a1;
            a1 = a3;
            a3 = t;
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, xo);
    }

    @Override
    void dot4(MemorySegment codes, long codeAt, int codeStep, MemorySegment heads, long headAt, int headStep,
              int k, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        int full = k / BLOCK;
        // low and high halves go to separate accumulators: one FMA per accumulator per step
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        long qo = codeAt, ho = headAt;
        for (int b = 0; b < full; b++, qo += codeStep, ho += headStep) {
            float d = Dequantize.f16(heads, ho);
            IntVector t0 = C0.mul(d).reinterpretAsInts();
            IntVector t1 = Table16.VECTORS > 1 ? C1.mul(d).reinterpretAsInts() : t0;
            IntVector t2 = Table16.VECTORS > 2 ? C2.mul(d).reinterpretAsInts() : t0;
            IntVector t3 = Table16.VECTORS > 2 ? C3.mul(d).reinterpretAsInts() : t0;
            for (int j = 0; j < BLOCK / 2; j += B.length()) {
                ByteVector q = ByteVector.fromMemorySegment(B, codes, qo + j, ByteOrder.LITTLE_ENDIAN);
                for (int p = 0; p < PARTS; p++) {
                    IntVector lo = (IntVector) q.convertShape(VectorOperators.B2I, I, p);
                    IntVector hi = lo.lanewise(VectorOperators.LSHR, 4);
                    FloatVector wl = Table16.select(lo, t0, t1, t2, t3).reinterpretAsFloats();
                    FloatVector wh = Table16.select(hi, t0, t1, t2, t3).reinterpretAsFloats();
                    int c = b * BLOCK + j + p * LANES;
                    a0 = wl.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                    a1 = wl.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                    a2 = wl.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                    a3 = wl.fma(FloatVector.fromArray(F, x, x3 + c), a3);
                    b0 = wh.fma(FloatVector.fromArray(F, x, x0 + c + BLOCK / 2), b0);
                    b1 = wh.fma(FloatVector.fromArray(F, x, x1 + c + BLOCK / 2), b1);
                    b2 = wh.fma(FloatVector.fromArray(F, x, x2 + c + BLOCK / 2), b2);
                    b3 = wh.fma(FloatVector.fromArray(F, x, x3 + c + BLOCK / 2), b3);
                }
            }
        }
        out[0] = a0.add(b0).reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, x0);
        out[1] = a1.add(b1).reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, x1);
        out[2] = a2.add(b2).reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, x2);
        out[3] = a3.add(b3).reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, x3);
    }

    /**
     * x rewritten for {@link #rows4}, per whole block of 32: the low half as it is, the high half as
     * xh − 16·xl, then per block −8·Σx / LANES. A byte b = lo + 16·hi then contributes
     * b·xl + hi·(xh − 16·xl) = lo·xl + hi·xh: its zero-extended value and its high nibble convert to
     * floats with no mask, and each block's sum starts from the −8·Σx that centres the codes (q − 8),
     * spread over the lanes. What remains per byte is a widening, a shift, two conversions, two FMAs.
     */
    @Override
    void prepare(float[] x, int xo, int k, float[] prepared, int po) {
        int full = k / BLOCK;
        for (int b = 0; b < full; b++) {
            int c = b * BLOCK;
            FloatVector sum = FloatVector.zero(F);
            for (int j = 0; j < BLOCK / 2; j += LANES) {
                FloatVector lo = FloatVector.fromArray(F, x, xo + c + j), hi = FloatVector.fromArray(F, x, xo + c + BLOCK / 2 + j);
                lo.intoArray(prepared, po + c + j);
                hi.sub(lo.mul(16f)).intoArray(prepared, po + c + BLOCK / 2 + j); // 16·lo is exact
                sum = sum.add(lo).add(hi);
            }
            prepared[po + full * BLOCK + b] = -8 * sum.reduceLanes(VectorOperators.ADD) / LANES;
        }
    }

    /**
     * A group of four rows (codes at {@code codeAt + 64·b + 16·r}, scales at {@code headAt + 8·b + 2·r})
     * with x as {@link #prepare} rewrote it into {@code prepared}: one stream of codes, every
     * slice of x loaded once for the four rows, each row's block sum scaled once; the group's scales
     * are converted to floats into {@code scratch} in one vector pass before the loop.
     */
    @Override
    void rows4(MemorySegment codes, long codeAt, MemorySegment heads, long headAt, int k, float[] x, int xo,
               float[] prepared, int po, float[] scratch, float[] out) {
        int full = k / BLOCK;
        int codeStep = RowGroupMatrix.GROUP * codeBytes; // from fields, not literals: see Q8_0Dots.rows4
        int centres = po + full * BLOCK;
        F16Kernel.decode(heads, headAt, 4 * Math.ceilDiv(k, BLOCK), scratch, 0); // row r's block b at 4·b + r
        long r0 = codeAt, r1 = r0 + pieceBytes, r2 = r1 + pieceBytes, r3 = r2 + pieceBytes;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < full; b++) {
            long q = (long) b * codeStep;
            int xc = b * BLOCK;
            FloatVector s0 = FloatVector.broadcast(F, prepared[centres + b]), s1 = s0, s2 = s0, s3 = s0;
            for (int j = 0; j < BLOCK / 2; j += B.length()) { // constant trip counts: fully unrolled
                ByteVector c0 = ByteVector.fromMemorySegment(B, codes, r0 + q + j, ByteOrder.LITTLE_ENDIAN);
                ByteVector c1 = ByteVector.fromMemorySegment(B, codes, r1 + q + j, ByteOrder.LITTLE_ENDIAN);
                ByteVector c2 = ByteVector.fromMemorySegment(B, codes, r2 + q + j, ByteOrder.LITTLE_ENDIAN);
                ByteVector c3 = ByteVector.fromMemorySegment(B, codes, r3 + q + j, ByteOrder.LITTLE_ENDIAN);
                for (int p = 0; p < PARTS; p++) {
                    int c = po + xc + j + p * LANES;
                    FloatVector xl = FloatVector.fromArray(F, prepared, c), xh = FloatVector.fromArray(F, prepared, c + BLOCK / 2);
                    IntVector i0 = (IntVector) c0.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, p);
                    IntVector i1 = (IntVector) c1.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, p);
                    IntVector i2 = (IntVector) c2.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, p);
                    IntVector i3 = (IntVector) c3.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, p);
                    s0 = ((FloatVector) i0.convert(VectorOperators.I2F, 0)).fma(xl, s0);
                    s1 = ((FloatVector) i1.convert(VectorOperators.I2F, 0)).fma(xl, s1);
                    s2 = ((FloatVector) i2.convert(VectorOperators.I2F, 0)).fma(xl, s2);
                    s3 = ((FloatVector) i3.convert(VectorOperators.I2F, 0)).fma(xl, s3);
                    s0 = ((FloatVector) i0.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, s0);
                    s1 = ((FloatVector) i1.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, s1);
                    s2 = ((FloatVector) i2.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, s2);
                    s3 = ((FloatVector) i3.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, s3);
                }
            }
            int sc = 4 * b;
            a0 = s0.fma(FloatVector.broadcast(F, scratch[sc]), a0);
            a1 = s1.fma(FloatVector.broadcast(F, scratch[sc + 1]), a1);
            a2 = s2.fma(FloatVector.broadcast(F, scratch[sc + 2]), a2);
            a3 = s3.fma(FloatVector.broadcast(F, scratch[sc + 3]), a3);
        }
        int headStep = 4 * 2;
        out[0] = a0.reduceLanes(VectorOperators.ADD) + partialBlock(codes, r0, codeStep, heads, headAt, headStep, k, x, xo);
        out[1] = a1.reduceLanes(VectorOperators.ADD) + partialBlock(codes, r1, codeStep, heads, headAt + 2, headStep, k, x, xo);
        out[2] = a2.reduceLanes(VectorOperators.ADD) + partialBlock(codes, r2, codeStep, heads, headAt + 4, headStep, k, x, xo);
        out[3] = a3.reduceLanes(VectorOperators.ADD) + partialBlock(codes, r3, codeStep, heads, headAt + 6, headStep, k, x, xo);
    }

    @Override
    int preparedSize(int k) {
        return k / BLOCK * (BLOCK + 1);
    }

    @Override
    int rows4Scratch(int k) {
        return 4 * Math.ceilDiv(k, BLOCK);
    }
}
