package io.isthmus.runtime.kernel;

import static io.isthmus.runtime.kernel.VectorSettings.B;
import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;

import io.isthmus.runtime.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q6_K weights (super-blocks of 256: ql[128] low nibbles, qh[64] high 2-bit fields, int8 scales[16]
 * for sub-blocks of 16, f16 d; value d·scale·(q − 32); see {@link Dequantize#q6_K}). Per half of
 * 128 values, one load each of ql[l..], ql[l+32..] and qh[l..] yields the codes of values l, l+32,
 * l+64 and l+96, rebuilt with vector AND/shift/OR, re-centred as bytes and widened to floats in
 * registers. For one x row, Σ(q−32)·x is summed per sub-block of 16 and scaled afterwards; for four x
 * rows the weights are scaled once and shared by the four accumulators. Scales are read as one long
 * per half and picked out inline (see {@link Q4_KKernel} on why there are no scalar helpers).
 */
final class Q6_KKernel extends RowTiledKernel {

    private static final int BLOCK = 256;
    private static final int BLOCK_BYTES = 210;
    /** Float vectors per byte-vector load (2 at 128 bits, else 1). */
    private static final int PARTS = B.length() / LANES;

    Q6_KKernel() {
        super(GgmlType.Q6_K);
    }

    @Override
    float dot1(MemorySegment w, long off, int k, float[] x, int xo) {
        int full = k / BLOCK;
        // values l, l+32 and l+64, l+96 go to separate accumulators, so the chains are short
        FloatVector accA = FloatVector.zero(F), accB = accA;
        for (int b = 0; b < full; b++) {
            long bo = off + (long) b * BLOCK_BYTES;
            float d = Float.float16ToFloat(w.get(Dequantize.SHORT_LE, bo + 208));
            for (int half = 0; half < 2; half++) {
                long ql = bo + 64 * half, qh = bo + 128 + 32 * half;
                long sc = w.get(Dequantize.LONG_LE, bo + 192 + 8 * half); // this half's eight int8 scales
                int xh = xo + b * BLOCK + 128 * half;
                for (int l0 = 0; l0 < 32; l0 += 16) { // sub-blocks (l0/16) + 0, 2, 4, 6 of this half
                    FloatVector s1 = FloatVector.zero(F), s2 = s1, s3 = s1, s4 = s1;
                    // j0 from 0, not from l0: C2 unrolls a constant trip count (measured ~30 % faster)
                    for (int j0 = 0; j0 < 16; j0 += B.length()) {
                        int j = l0 + j0;
                        ByteVector a = ByteVector.fromMemorySegment(B, w, ql + j, ByteOrder.LITTLE_ENDIAN);
                        ByteVector c = ByteVector.fromMemorySegment(B, w, ql + 32 + j, ByteOrder.LITTLE_ENDIAN);
                        ByteVector h = ByteVector.fromMemorySegment(B, w, qh + j, ByteOrder.LITTLE_ENDIAN);
                        // shifts run on int lanes (x86 has no byte shift); the masks drop the bits crossing bytes
                        IntVector ai = a.reinterpretAsInts(), ci = c.reinterpretAsInts(), hi = h.reinterpretAsInts();
                        ByteVector q1 = a.and((byte) 0x0F)
                                .or(hi.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
                        ByteVector q2 = c.and((byte) 0x0F)
                                .or(hi.lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
                        ByteVector q3 = ai.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F)
                                .or(h.and((byte) 0x30)).sub((byte) 32);
                        ByteVector q4 = ci.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F)
                                .or(hi.lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
                        for (int p = 0; p < PARTS; p++) {
                            int xc = xh + j + p * LANES;
                            s1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, p))
                                    .fma(FloatVector.fromArray(F, x, xc), s1);
                            s2 = ((FloatVector) q2.convertShape(VectorOperators.B2F, F, p))
                                    .fma(FloatVector.fromArray(F, x, xc + 32), s2);
                            s3 = ((FloatVector) q3.convertShape(VectorOperators.B2F, F, p))
                                    .fma(FloatVector.fromArray(F, x, xc + 64), s3);
                            s4 = ((FloatVector) q4.convertShape(VectorOperators.B2F, F, p))
                                    .fma(FloatVector.fromArray(F, x, xc + 96), s4);
                        }
                    }
                    int is = 8 * (l0 / 16);
                    accA = s1.fma(FloatVector.broadcast(F, d * (byte) (sc >>> is)), accA);
                    accB = s2.fma(FloatVector.broadcast(F, d * (byte) (sc >>> is + 16)), accB);
                    accA = s3.fma(FloatVector.broadcast(F, d * (byte) (sc >>> is + 32)), accA);
                    accB = s4.fma(FloatVector.broadcast(F, d * (byte) (sc >>> is + 48)), accB);
                }
            }
        }
        return accA.add(accB).reduceLanes(VectorOperators.ADD) + partialBlock(w, off, k, x, xo);
    }

    @Override
    void dot4(MemorySegment w, long off, int k, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        int full = k / BLOCK;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < full; b++) {
            long bo = off + (long) b * BLOCK_BYTES;
            float d = Float.float16ToFloat(w.get(Dequantize.SHORT_LE, bo + 208));
            for (int half = 0; half < 2; half++) {
                long ql = bo + 64 * half, qh = bo + 128 + 32 * half;
                long sc = w.get(Dequantize.LONG_LE, bo + 192 + 8 * half); // this half's eight int8 scales
                for (int l0 = 0; l0 < 32; l0 += 16) {
                    int is = 8 * (l0 / 16);
                    FloatVector d1 = FloatVector.broadcast(F, d * (byte) (sc >>> is));
                    FloatVector d2 = FloatVector.broadcast(F, d * (byte) (sc >>> is + 16));
                    FloatVector d3 = FloatVector.broadcast(F, d * (byte) (sc >>> is + 32));
                    FloatVector d4 = FloatVector.broadcast(F, d * (byte) (sc >>> is + 48));
                    for (int j0 = 0; j0 < 16; j0 += B.length()) {
                        int j = l0 + j0;
                        ByteVector a = ByteVector.fromMemorySegment(B, w, ql + j, ByteOrder.LITTLE_ENDIAN);
                        ByteVector c = ByteVector.fromMemorySegment(B, w, ql + 32 + j, ByteOrder.LITTLE_ENDIAN);
                        ByteVector h = ByteVector.fromMemorySegment(B, w, qh + j, ByteOrder.LITTLE_ENDIAN);
                        // shifts run on int lanes (x86 has no byte shift); the masks drop the bits crossing bytes
                        IntVector ai = a.reinterpretAsInts(), ci = c.reinterpretAsInts(), hi = h.reinterpretAsInts();
                        ByteVector q1 = a.and((byte) 0x0F)
                                .or(hi.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
                        ByteVector q2 = c.and((byte) 0x0F)
                                .or(hi.lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
                        ByteVector q3 = ai.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F)
                                .or(h.and((byte) 0x30)).sub((byte) 32);
                        ByteVector q4 = ci.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F)
                                .or(hi.lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
                        for (int p = 0; p < PARTS; p++) {
                            int cc = b * BLOCK + 128 * half + j + p * LANES;
                            FloatVector w1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, p)).mul(d1);
                            FloatVector w2 = ((FloatVector) q2.convertShape(VectorOperators.B2F, F, p)).mul(d2);
                            FloatVector w3 = ((FloatVector) q3.convertShape(VectorOperators.B2F, F, p)).mul(d3);
                            FloatVector w4 = ((FloatVector) q4.convertShape(VectorOperators.B2F, F, p)).mul(d4);
                            a0 = w1.fma(FloatVector.fromArray(F, x, x0 + cc), a0);
                            a1 = w1.fma(FloatVector.fromArray(F, x, x1 + cc), a1);
                            a2 = w1.fma(FloatVector.fromArray(F, x, x2 + cc), a2);
                            a3 = w1.fma(FloatVector.fromArray(F, x, x3 + cc), a3);
                            a0 = w2.fma(FloatVector.fromArray(F, x, x0 + cc + 32), a0);
                            a1 = w2.fma(FloatVector.fromArray(F, x, x1 + cc + 32), a1);
                            a2 = w2.fma(FloatVector.fromArray(F, x, x2 + cc + 32), a2);
                            a3 = w2.fma(FloatVector.fromArray(F, x, x3 + cc + 32), a3);
                            a0 = w3.fma(FloatVector.fromArray(F, x, x0 + cc + 64), a0);
                            a1 = w3.fma(FloatVector.fromArray(F, x, x1 + cc + 64), a1);
                            a2 = w3.fma(FloatVector.fromArray(F, x, x2 + cc + 64), a2);
                            a3 = w3.fma(FloatVector.fromArray(F, x, x3 + cc + 64), a3);
                            a0 = w4.fma(FloatVector.fromArray(F, x, x0 + cc + 96), a0);
                            a1 = w4.fma(FloatVector.fromArray(F, x, x1 + cc + 96), a1);
                            a2 = w4.fma(FloatVector.fromArray(F, x, x2 + cc + 96), a2);
                            a3 = w4.fma(FloatVector.fromArray(F, x, x3 + cc + 96), a3);
                        }
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
