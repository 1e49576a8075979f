package io.isthmus.runtime.kernel;

import static io.isthmus.runtime.kernel.VectorSettings.B;
import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;

import io.isthmus.runtime.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The Q8_0 dot products (blocks of 32 int8 codes times an f16 scale, the block's head), for any
 * placement of the blocks ({@link BlockDots}): GGUF interleaves scale and codes (34 bytes a block);
 * {@link RowGroupMatrix} keeps the blocks of four rows side by side (steps 128 and 8), and
 * {@link #rows4} multiplies such a group at once. Codes widen to floats in registers.
 *
 * <p>No helper takes or returns vectors: one that C2 declines to inline boxes them (see
 * {@link F16Kernel}).
 */
final class Q8_0Dots extends BlockDots {

    static final int BLOCK = 32;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Float vectors per byte-vector load (2 at 128 bits, else 1). */
    private static final int PARTS = B.length() / LANES;

    static final Q8_0Dots INSTANCE = new Q8_0Dots();

    private Q8_0Dots() {
        super(GgmlType.Q8_0, 0, 2, BLOCK);
    }

    /** Σ_c W[c]·x[xo + c] over one row's {@code k} columns. */
    @Override
    float dot1(MemorySegment codes, long codeAt, int codeStep, MemorySegment heads, long headAt, int headStep,
                      int k, float[] x, int xo) {
        int full = k / BLOCK;
        // blocks in pairs, each pair's two sums and scalings in separate chains: one chain of
        // fma(sum, scale, acc) a block waits ~4 cycles per block on the one before (measured 20 %
        // slower at k = 512 and 4096 on Zen 5)
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int b = 0;
        for (; b + 2 <= full; b += 2) {
            long q0 = codeAt + (long) b * codeStep;
            long q1 = q0 + codeStep;
            int xc = xo + b * BLOCK;
            FloatVector s0 = FloatVector.zero(F), s1 = s0;
            for (int j = 0; j < BLOCK; j += B.length()) { // constant trip counts: fully unrolled
                ByteVector c0 = ByteVector.fromMemorySegment(B, codes, q0 + j, LE);
                ByteVector c1 = ByteVector.fromMemorySegment(B, codes, q1 + j, LE);
                for (int p = 0; p < PARTS; p++) {
                    int c = xc + j + p * LANES;
                    s0 = ((FloatVector) c0.convertShape(VectorOperators.B2F, F, p)).fma(FloatVector.fromArray(F, x, c), s0);
                    s1 = ((FloatVector) c1.convertShape(VectorOperators.B2F, F, p)).fma(FloatVector.fromArray(F, x, c + BLOCK), s1);
                }
            }
            long d0 = headAt + (long) b * headStep;
            a0 = s0.fma(FloatVector.broadcast(F, Dequantize.f16(heads, d0)), a0);
            a1 = s1.fma(FloatVector.broadcast(F, Dequantize.f16(heads, d0 + headStep)), a1);
        }
        if (b < full) { // an odd block count: the last whole block alone
            long q0 = codeAt + (long) b * codeStep;
            int xc = xo + b * BLOCK;
            FloatVector s0 = FloatVector.zero(F);
            for (int j = 0; j < BLOCK; j += B.length()) {
                ByteVector c0 = ByteVector.fromMemorySegment(B, codes, q0 + j, LE);
                for (int p = 0; p < PARTS; p++) {
                    s0 = ((FloatVector) c0.convertShape(VectorOperators.B2F, F, p)).fma(FloatVector.fromArray(F, x, xc + j + p * LANES), s0);
                }
            }
            a0 = s0.fma(FloatVector.broadcast(F, Dequantize.f16(heads, headAt + (long) b * headStep)), a0);
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, xo);
    }

    /** One row with four x rows at once, results in {@code out[0..3]}: the decoded weights are scaled once and shared. */
    @Override
    void dot4(MemorySegment codes, long codeAt, int codeStep, MemorySegment heads, long headAt, int headStep,
                     int k, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        int full = k / BLOCK;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < full; b++) {
            long q = codeAt + (long) b * codeStep;
            FloatVector d = FloatVector.broadcast(F, Dequantize.f16(heads, headAt + (long) b * headStep));
            int c = b * BLOCK;
            for (int j = 0; j < BLOCK; j += B.length()) {
                ByteVector cv = ByteVector.fromMemorySegment(B, codes, q + j, LE);
                for (int p = 0; p < PARTS; p++) {
                    FloatVector wv = ((FloatVector) cv.convertShape(VectorOperators.B2F, F, p)).mul(d);
                    int cc = c + j + p * LANES;
                    a0 = wv.fma(FloatVector.fromArray(F, x, x0 + cc), a0);
                    a1 = wv.fma(FloatVector.fromArray(F, x, x1 + cc), a1);
                    a2 = wv.fma(FloatVector.fromArray(F, x, x2 + cc), a2);
                    a3 = wv.fma(FloatVector.fromArray(F, x, x3 + cc), a3);
                }
            }
        }
        out[0] = a0.reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, x0);
        out[1] = a1.reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, x1);
        out[2] = a2.reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, x2);
        out[3] = a3.reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, x3);
    }

    /**
     * A group of four rows (codes at {@code codeAt + 128·b + 32·r}, scales at {@code headAt + 8·b + 2·r}):
     * one stream of codes, every slice of x loaded once for the four rows, and the group's scales
     * converted to floats into {@code scratch} in one vector pass before the loop.
     */
    @Override
    void rows4(MemorySegment codes, long codeAt, MemorySegment heads, long headAt, int k, float[] x, int xo,
               float[] prepared, int po, float[] scratch, float[] out) {
        int full = k / BLOCK;
        // the steps from the instance's fields, not literals: with constant steps C2 unrolled the block
        // loop into code half again as large, and prose-llama's 512-wide products ran slower
        int codeStep = RowGroupMatrix.GROUP * codeBytes;
        F16Kernel.decode(heads, headAt, 4 * Math.ceilDiv(k, BLOCK), scratch, 0); // row r's block b at 4·b + r
        long r0 = codeAt, r1 = r0 + pieceBytes, r2 = r1 + pieceBytes, r3 = r2 + pieceBytes;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < full; b++) {
            long q = (long) b * codeStep;
            int xc = xo + b * BLOCK;
            FloatVector t0 = FloatVector.zero(F), t1 = t0, t2 = t0, t3 = t0;
            for (int j = 0; j < BLOCK; j += B.length()) {
                ByteVector c0 = ByteVector.fromMemorySegment(B, codes, r0 + q + j, LE);
                ByteVector c1 = ByteVector.fromMemorySegment(B, codes, r1 + q + j, LE);
                ByteVector c2 = ByteVector.fromMemorySegment(B, codes, r2 + q + j, LE);
                ByteVector c3 = ByteVector.fromMemorySegment(B, codes, r3 + q + j, LE);
                for (int p = 0; p < PARTS; p++) {
                    FloatVector xv = FloatVector.fromArray(F, x, xc + j + p * LANES);
                    t0 = ((FloatVector) c0.convertShape(VectorOperators.B2F, F, p)).fma(xv, t0);
                    t1 = ((FloatVector) c1.convertShape(VectorOperators.B2F, F, p)).fma(xv, t1);
                    t2 = ((FloatVector) c2.convertShape(VectorOperators.B2F, F, p)).fma(xv, t2);
                    t3 = ((FloatVector) c3.convertShape(VectorOperators.B2F, F, p)).fma(xv, t3);
                }
            }
            int sc = 4 * b;
            a0 = t0.fma(FloatVector.broadcast(F, scratch[sc]), a0);
            a1 = t1.fma(FloatVector.broadcast(F, scratch[sc + 1]), a1);
            a2 = t2.fma(FloatVector.broadcast(F, scratch[sc + 2]), a2);
            a3 = t3.fma(FloatVector.broadcast(F, scratch[sc + 3]), a3);
        }
        out[0] = a0.reduceLanes(VectorOperators.ADD) + partialBlock(codes, r0, codeStep, heads, headAt, 8, k, x, xo);
        out[1] = a1.reduceLanes(VectorOperators.ADD) + partialBlock(codes, r1, codeStep, heads, headAt + 2, 8, k, x, xo);
        out[2] = a2.reduceLanes(VectorOperators.ADD) + partialBlock(codes, r2, codeStep, heads, headAt + 4, 8, k, x, xo);
        out[3] = a3.reduceLanes(VectorOperators.ADD) + partialBlock(codes, r3, codeStep, heads, headAt + 6, 8, k, x, xo);
    }

    @Override
    int rows4Scratch(int k) {
        return 4 * Math.ceilDiv(k, BLOCK);
    }

    /** The first {@code count} whole blocks of a row as floats into {@code out[o..]} (bit-identical to the scalar dequantizer). */
    @Override
    void decode(MemorySegment codes, long codeAt, int codeStep, MemorySegment heads, long headAt, int headStep,
                       int count, float[] out, int o) {
        for (int b = 0; b < count; b++) {
            long q = codeAt + (long) b * codeStep;
            float d = Dequantize.f16(heads, headAt + (long) b * headStep);
            int ob = o + b * BLOCK;
            for (int j = 0; j < BLOCK; j += B.length()) {
                ByteVector cv = ByteVector.fromMemorySegment(B, codes, q + j, LE);
                for (int p = 0; p < PARTS; p++) {
                    ((FloatVector) cv.convertShape(VectorOperators.B2F, F, p)).mul(d).intoArray(out, ob + j + p * LANES);
                }
            }
        }
    }
}
