package io.isthmus.runtime.kernel;

import static io.isthmus.runtime.kernel.VectorSettings.B;
import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;

import io.isthmus.runtime.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q6_K weights in {@link RowGroupMatrix}'s form, unpacked at load: every code as the signed byte
 * q − 32 in the order of its values, in 16-byte pieces (one sub-block of 16, which has one scale)
 * with the group's other rows' pieces between them; each head as the sixteen int8 scales and d as an
 * f32 (20 bytes). A super-block of 256 values takes 276 bytes instead of GGUF's 210, and a sub-block
 * of one row costs a widening load, a conversion, a multiply and an FMA: GGUF's six-bit codes
 * ({@link Q6_KKernel}) need twice the vector instructions to rebuild first, and that kernel is bound
 * by them, not by the bytes it reads. Values are GGUF's, d·sc·(q − 32) ({@link Dequantize#q6_K}).
 */
final class Q6_KDots extends BlockDots {

    private static final int BLOCK = 256;
    private static final int SUB = 16;
    /** Bytes of a head: sixteen scales, then d. */
    private static final int HEAD = SUB + 4;
    /** Bytes between a row's consecutive sub-blocks: the group's four pieces. */
    private static final int STRIDE = RowGroupMatrix.GROUP * SUB;
    /** Float vectors per byte-vector load (2 at 128 bits, else 1). */
    private static final int PARTS = B.length() / LANES;
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** {@link RowGroupMatrix}'s form; GGUF's own blocks go through {@link Q6_KKernel}. */
    static final Q6_KDots GROUPED = new Q6_KDots();

    private Q6_KDots() {
        // GGUF's block: ql[128] at 0, qh[64] at 128, scales[16] at 192, f16 d at 208
        super(GgmlType.Q6_K, 192, 0, BLOCK, HEAD, SUB, STRIDE);
    }

    @Override
    void packHead(MemorySegment block, long blockAt, MemorySegment heads, long headAt) {
        MemorySegment.copy(block, blockAt + 192, heads, headAt, SUB);
        heads.set(FLOAT_LE, headAt + SUB, Dequantize.f16(block, blockAt + 208));
    }

    @Override
    void unpackHead(MemorySegment heads, long headAt, MemorySegment block) {
        MemorySegment.copy(heads, headAt, block, 192, SUB);
        block.set(Dequantize.SHORT_LE, 208, Float.floatToFloat16(heads.get(FLOAT_LE, headAt + SUB))); // d came from an f16: exact
    }

    /** Where value v of a block whose codes start at {@code codeAt} lies. */
    private static long codeOf(long codeAt, int v) {
        return codeAt + (long) (v / SUB) * STRIDE + v % SUB;
    }

    /** The six-bit fields as {@link Dequantize#q6_K} reads them: values l, l+32, l+64, l+96 of each half of 128. */
    @Override
    void packCodes(MemorySegment block, long blockAt, MemorySegment codes, long codeAt) {
        for (int half = 0; half < 2; half++) {
            long ql = blockAt + 64L * half, qh = blockAt + 128 + 32L * half;
            for (int l = 0; l < 32; l++) {
                int a = block.get(ValueLayout.JAVA_BYTE, ql + l) & 0xFF, b = block.get(ValueLayout.JAVA_BYTE, ql + l + 32) & 0xFF;
                int h = block.get(ValueLayout.JAVA_BYTE, qh + l) & 0xFF;
                int v = 128 * half + l;
                codes.set(ValueLayout.JAVA_BYTE, codeOf(codeAt, v), (byte) (((a & 0x0F) | (h & 3) << 4) - 32));
                codes.set(ValueLayout.JAVA_BYTE, codeOf(codeAt, v + 32), (byte) (((b & 0x0F) | (h >>> 2 & 3) << 4) - 32));
                codes.set(ValueLayout.JAVA_BYTE, codeOf(codeAt, v + 64), (byte) ((a >>> 4 | (h >>> 4 & 3) << 4) - 32));
                codes.set(ValueLayout.JAVA_BYTE, codeOf(codeAt, v + 96), (byte) ((b >>> 4 | (h >>> 6) << 4) - 32));
            }
        }
    }

    @Override
    void unpackCodes(MemorySegment codes, long codeAt, MemorySegment block) {
        for (int half = 0; half < 2; half++) {
            long ql = 64L * half, qh = 128 + 32L * half;
            for (int l = 0; l < 32; l++) {
                int v = 128 * half + l;
                int q1 = codes.get(ValueLayout.JAVA_BYTE, codeOf(codeAt, v)) + 32;
                int q2 = codes.get(ValueLayout.JAVA_BYTE, codeOf(codeAt, v + 32)) + 32;
                int q3 = codes.get(ValueLayout.JAVA_BYTE, codeOf(codeAt, v + 64)) + 32;
                int q4 = codes.get(ValueLayout.JAVA_BYTE, codeOf(codeAt, v + 96)) + 32;
                block.set(ValueLayout.JAVA_BYTE, ql + l, (byte) ((q1 & 0x0F) | (q3 & 0x0F) << 4));
                block.set(ValueLayout.JAVA_BYTE, ql + l + 32, (byte) ((q2 & 0x0F) | (q4 & 0x0F) << 4));
                block.set(ValueLayout.JAVA_BYTE, qh + l, (byte) (q1 >>> 4 | (q2 >>> 4) << 2 | (q3 >>> 4) << 4 | (q4 >>> 4) << 6));
            }
        }
    }

    /** d·sc_j of the head at {@code headAt} into {@code f[o + j]}, j = 0..15, as the scalar dequantizer forms them. */
    private static void factors(MemorySegment heads, long headAt, float[] f, int o) {
        float d = heads.get(FLOAT_LE, headAt + SUB);
        ByteVector sc = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, heads, headAt, LE);
        for (int p = 0; p < SUB / LANES; p++) {
            ((FloatVector) sc.convertShape(VectorOperators.B2F, F, p)).mul(d).intoArray(f, o + p * LANES);
        }
    }

    @Override
    void decode(MemorySegment codes, long codeAt, int codeStep, MemorySegment heads, long headAt, int headStep,
                int count, float[] out, int o) {
        float[] f = new float[SUB];
        for (int b = 0; b < count; b++) {
            factors(heads, headAt + (long) b * headStep, f, 0);
            long cb = codeAt + (long) b * codeStep;
            for (int j = 0; j < SUB; j++) {
                FloatVector fj = FloatVector.broadcast(F, f[j]);
                for (int j0 = 0; j0 < SUB; j0 += B.length()) {
                    ByteVector q = ByteVector.fromMemorySegment(B, codes, cb + (long) j * STRIDE + j0, LE);
                    for (int p = 0; p < PARTS; p++) {
                        ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).mul(fj)
                                .intoArray(out, o + b * BLOCK + SUB * j + j0 + p * LANES);
                    }
                }
            }
        }
    }

    @Override
    float dot1(MemorySegment codes, long codeAt, int codeStep, MemorySegment heads, long headAt, int headStep,
               int k, float[] x, int xo) {
        int full = k / BLOCK;
        float[] f = new float[SUB];
        // even and odd sub-blocks accumulate apart: consecutive FMAs do not wait on each other
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < full; b++) {
            factors(heads, headAt + (long) b * headStep, f, 0);
            long cb = codeAt + (long) b * codeStep;
            int xb = xo + b * BLOCK;
            for (int j = 0; j < SUB; j += 2) {
                FloatVector f0 = FloatVector.broadcast(F, f[j]), f1 = FloatVector.broadcast(F, f[j + 1]);
                for (int j0 = 0; j0 < SUB; j0 += B.length()) {
                    ByteVector q0 = ByteVector.fromMemorySegment(B, codes, cb + (long) j * STRIDE + j0, LE);
                    ByteVector q1 = ByteVector.fromMemorySegment(B, codes, cb + (long) (j + 1) * STRIDE + j0, LE);
                    for (int p = 0; p < PARTS; p++) {
                        int c = xb + SUB * j + j0 + p * LANES;
                        a0 = ((FloatVector) q0.convertShape(VectorOperators.B2F, F, p)).mul(FloatVector.fromArray(F, x, c)).fma(f0, a0);
                        a1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, p)).mul(FloatVector.fromArray(F, x, c + SUB)).fma(f1, a1);
                    }
                }
            }
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, xo);
    }

    @Override
    void dot4(MemorySegment codes, long codeAt, int codeStep, MemorySegment heads, long headAt, int headStep,
              int k, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        int full = k / BLOCK;
        float[] f = new float[SUB];
        // even and odd sub-blocks go to separate accumulators: one FMA per accumulator per two sub-blocks
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int b = 0; b < full; b++) {
            factors(heads, headAt + (long) b * headStep, f, 0);
            long cb = codeAt + (long) b * codeStep;
            for (int j = 0; j < SUB; j += 2) {
                FloatVector f0 = FloatVector.broadcast(F, f[j]), f1 = FloatVector.broadcast(F, f[j + 1]);
                for (int j0 = 0; j0 < SUB; j0 += B.length()) {
                    ByteVector q0 = ByteVector.fromMemorySegment(B, codes, cb + (long) j * STRIDE + j0, LE);
                    ByteVector q1 = ByteVector.fromMemorySegment(B, codes, cb + (long) (j + 1) * STRIDE + j0, LE);
                    for (int p = 0; p < PARTS; p++) {
                        int c = b * BLOCK + SUB * j + j0 + p * LANES;
                        FloatVector w0 = ((FloatVector) q0.convertShape(VectorOperators.B2F, F, p)).mul(f0);
                        FloatVector w1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, p)).mul(f1);
                        a0 = w0.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                        a1 = w0.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                        a2 = w0.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                        a3 = w0.fma(FloatVector.fromArray(F, x, x3 + c), a3);
                        b0 = w1.fma(FloatVector.fromArray(F, x, x0 + c + SUB), b0);
                        b1 = w1.fma(FloatVector.fromArray(F, x, x1 + c + SUB), b1);
                        b2 = w1.fma(FloatVector.fromArray(F, x, x2 + c + SUB), b2);
                        b3 = w1.fma(FloatVector.fromArray(F, x, x3 + c + SUB), b3);
                    }
                }
            }
        }
        out[0] = a0.add(b0).reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, x0);
        out[1] = a1.add(b1).reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, x1);
        out[2] = a2.add(b2).reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, x2);
        out[3] = a3.add(b3).reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, x3);
    }

    /**
     * A group of four rows: each 64-byte line holds the four rows' codes of one sub-block, multiplied
     * by one load of x; each row's sub-block sum is scaled by its d·sc_j as it is added, from the
     * factors the group's four heads put in {@code scratch} once per super-block.
     */
    @Override
    void rows4(MemorySegment codes, long codeAt, MemorySegment heads, long headAt, int k, float[] x, int xo,
               float[] prepared, int po, float[] scratch, float[] out) {
        int full = k / BLOCK;
        // steps from the fields, not literals: see Q8_0Dots.rows4
        int codeStep = RowGroupMatrix.GROUP * codeBytes, headStep = RowGroupMatrix.GROUP * headBytes;
        int piece = pieceBytes, stride = pieceStride;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < full; b++) {
            long hb = headAt + (long) b * headStep;
            for (int r = 0; r < 4; r++) {
                factors(heads, hb + (long) r * HEAD, scratch, SUB * r);
            }
            long cb = codeAt + (long) b * codeStep;
            int xb = xo + b * BLOCK;
            for (int j = 0; j < SUB; j++) {
                long cj = cb + (long) j * stride;
                for (int j0 = 0; j0 < SUB; j0 += B.length()) {
                    ByteVector q0 = ByteVector.fromMemorySegment(B, codes, cj + j0, LE);
                    ByteVector q1 = ByteVector.fromMemorySegment(B, codes, cj + piece + j0, LE);
                    ByteVector q2 = ByteVector.fromMemorySegment(B, codes, cj + 2L * piece + j0, LE);
                    ByteVector q3 = ByteVector.fromMemorySegment(B, codes, cj + 3L * piece + j0, LE);
                    for (int p = 0; p < PARTS; p++) {
                        FloatVector xv = FloatVector.fromArray(F, x, xb + SUB * j + j0 + p * LANES);
                        a0 = ((FloatVector) q0.convertShape(VectorOperators.B2F, F, p)).mul(xv).fma(FloatVector.broadcast(F, scratch[j]), a0);
                        a1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, p)).mul(xv).fma(FloatVector.broadcast(F, scratch[SUB + j]), a1);
                        a2 = ((FloatVector) q2.convertShape(VectorOperators.B2F, F, p)).mul(xv).fma(FloatVector.broadcast(F, scratch[2 * SUB + j]), a2);
                        a3 = ((FloatVector) q3.convertShape(VectorOperators.B2F, F, p)).mul(xv).fma(FloatVector.broadcast(F, scratch[3 * SUB + j]), a3);
                    }
                }
            }
        }
        out[0] = a0.reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, xo);
        out[1] = a1.reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt + SUB, codeStep, heads, headAt + HEAD, headStep, k, x, xo);
        out[2] = a2.reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt + 2 * SUB, codeStep, heads, headAt + 2 * HEAD, headStep, k, x, xo);
        out[3] = a3.reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt + 3 * SUB, codeStep, heads, headAt + 3 * HEAD, headStep, k, x, xo);
    }

    @Override
    int rows4Scratch(int k) {
        return RowGroupMatrix.GROUP * SUB;
    }
}
