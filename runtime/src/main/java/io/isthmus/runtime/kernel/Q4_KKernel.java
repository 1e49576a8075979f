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
 * Q4_K weights (super-blocks of 256: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins for eight
 * sub-blocks of 32, then 128 bytes of nibbles; value d·sc·q − dmin·m; see {@link Dequantize#q4_K}).
 * The sixteen scales and mins are unpacked with scalar code once per super-block; each 32-byte
 * chunk of nibbles is split into its two sub-blocks with vector AND/shift and widened to floats in
 * registers. For one x row, Σq·x and Σx are summed per sub-block and scaled afterwards; for four x
 * rows the weights are decoded once (one FMA) and shared by the four accumulators.
 */
final class Q4_KKernel extends RowTiledKernel {

    private static final int BLOCK = 256;
    private static final int BLOCK_BYTES = 144;
    /** Float vectors per byte-vector load (2 at 128 bits, else 1). */
    private static final int PARTS = B.length() / LANES;

    Q4_KKernel() {
        super(GgmlType.Q4_K);
    }

    /*
     * Scalar work is written inline, not in helpers: C2 would not inline such helpers into these
     * large methods, and each call spilled every live vector register (Q6_K ran 1.9x slower).
     *
     * The 12 scale bytes s[0..11] are unpacked once per super-block into one byte per sub-block,
     * SWAR-style as llama.cpp does: sub-block j < 4 keeps its scale in the low 6 bits of s[j] and
     * its min in those of s[j+4]; j >= 4 keeps the low 4 bits of scale and min in the low and high
     * nibble of s[j+4], and bits 4-5 in the top two bits of s[j-4] (scale) and s[j] (min).
     */

    @Override
    float dot1(MemorySegment w, long off, int k, float[] x, int xo) {
        int full = k / BLOCK;
        // q·x and min·Σx go to separate accumulators, so the chains are short
        FloatVector acc = FloatVector.zero(F), accMin = acc;
        for (int b = 0; b < full; b++) {
            long bo = off + (long) b * BLOCK_BYTES;
            float d = Float.float16ToFloat(w.get(Dequantize.SHORT_LE, bo));
            float dmin = Float.float16ToFloat(w.get(Dequantize.SHORT_LE, bo + 2));
            long s = w.get(Dequantize.LONG_LE, bo + 4), t = w.get(Dequantize.INT_LE, bo + 12) & 0xFFFFFFFFL;
            long scales = s & 0x3F3F3F3FL | (t & 0x0F0F0F0FL | s >>> 2 & 0x30303030L) << 32;
            long mins = s >>> 32 & 0x3F3F3F3FL | (t >>> 4 & 0x0F0F0F0FL | s >>> 34 & 0x30303030L) << 32;
            for (int g = 0; g < 4; g++) { // 32 bytes: sub-block 2g in the low nibbles, 2g+1 in the high
                long qo = bo + 16 + 32 * g;
                int sc = (int) (scales >>> 16 * g), mn = (int) (mins >>> 16 * g); // sub-blocks 2g, 2g+1
                int xc = xo + b * BLOCK + 64 * g;
                FloatVector sLo = FloatVector.zero(F), sHi = sLo, xLo = sLo, xHi = sLo;
                for (int j = 0; j < 32; j += B.length()) { // constant trip counts: fully unrolled
                    ByteVector q = ByteVector.fromMemorySegment(B, w, qo + j, ByteOrder.LITTLE_ENDIAN);
                    ByteVector lo = q.and((byte) 0x0F);
                    // shifted on int lanes (x86 has no byte shift); the mask drops the next byte's bits
                    ByteVector hi = q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                            .and((byte) 0x0F);
                    for (int p = 0; p < PARTS; p++) {
                        int c = xc + j + p * LANES;
                        FloatVector xa = FloatVector.fromArray(F, x, c);
                        FloatVector xb = FloatVector.fromArray(F, x, c + 32);
                        sLo = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, p)).fma(xa, sLo);
                        sHi = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, p)).fma(xb, sHi);
                        xLo = xLo.add(xa);
                        xHi = xHi.add(xb);
                    }
                }
                acc = sLo.fma(FloatVector.broadcast(F, d * (sc & 0xFF)), acc);
                acc = sHi.fma(FloatVector.broadcast(F, d * (sc >>> 8 & 0xFF)), acc);
                accMin = xLo.fma(FloatVector.broadcast(F, dmin * (mn & 0xFF)), accMin);
                accMin = xHi.fma(FloatVector.broadcast(F, dmin * (mn >>> 8 & 0xFF)), accMin);
            }
        }
        return acc.sub(accMin).reduceLanes(VectorOperators.ADD) + partialBlock(w, off, k, x, xo);
    }

    @Override
    void dot4(MemorySegment w, long off, int k, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        int full = k / BLOCK;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < full; b++) {
            long bo = off + (long) b * BLOCK_BYTES;
            float d = Float.float16ToFloat(w.get(Dequantize.SHORT_LE, bo));
            float dmin = Float.float16ToFloat(w.get(Dequantize.SHORT_LE, bo + 2));
            long s = w.get(Dequantize.LONG_LE, bo + 4), t = w.get(Dequantize.INT_LE, bo + 12) & 0xFFFFFFFFL;
            long scales = s & 0x3F3F3F3FL | (t & 0x0F0F0F0FL | s >>> 2 & 0x30303030L) << 32;
            long mins = s >>> 32 & 0x3F3F3F3FL | (t >>> 4 & 0x0F0F0F0FL | s >>> 34 & 0x30303030L) << 32;
            for (int g = 0; g < 4; g++) {
                long qo = bo + 16 + 32 * g;
                int sc = (int) (scales >>> 16 * g), mn = (int) (mins >>> 16 * g);
                FloatVector dLo = FloatVector.broadcast(F, d * (sc & 0xFF));
                FloatVector dHi = FloatVector.broadcast(F, d * (sc >>> 8 & 0xFF));
                FloatVector mLo = FloatVector.broadcast(F, -dmin * (mn & 0xFF));
                FloatVector mHi = FloatVector.broadcast(F, -dmin * (mn >>> 8 & 0xFF));
                for (int j = 0; j < 32; j += B.length()) {
                    ByteVector q = ByteVector.fromMemorySegment(B, w, qo + j, ByteOrder.LITTLE_ENDIAN);
                    ByteVector lo = q.and((byte) 0x0F);
                    // shifted on int lanes (x86 has no byte shift); the mask drops the next byte's bits
                    ByteVector hi = q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                            .and((byte) 0x0F);
                    for (int p = 0; p < PARTS; p++) {
                        int c = b * BLOCK + 64 * g + j + p * LANES;
                        FloatVector wLo = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, p)).fma(dLo, mLo);
                        FloatVector wHi = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, p)).fma(dHi, mHi);
                        a0 = wLo.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                        a1 = wLo.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                        a2 = wLo.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                        a3 = wLo.fma(FloatVector.fromArray(F, x, x3 + c), a3);
                        a0 = wHi.fma(FloatVector.fromArray(F, x, x0 + c + 32), a0);
                        a1 = wHi.fma(FloatVector.fromArray(F, x, x1 + c + 32), a1);
                        a2 = wHi.fma(FloatVector.fromArray(F, x, x2 + c + 32), a2);
                        a3 = wHi.fma(FloatVector.fromArray(F, x, x3 + c + 32), a3);
                    }
                }
            }
        }
        out[0] = a0.reduceLanes(VectorOperators.ADD) + partialBlock(w, off, k, x, x0);
        out[1] = a1.reduceLanes(VectorOperators.ADD) + partialBlock(w, off, k, x, x1);
        out[2] = a2.reduceLanes(VectorOperators.ADD) + partialBlock(w, off, k, x, x2);
        out[3] = a3.reduceLanes(VectorOperators.ADD) + partialBlock(w, off, k, x, x3);
    }
}
