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
 * l+64 and l+96, rebuilt with vector AND/shift/OR and widened to floats in registers. A vector of
 * 16 weights is one sub-block, so its scale and offset are applied as one FMA,
 * q·(d·scale) + (−32·d·scale), with both factors broadcast from a small table that the super-block's
 * sixteen scales fill by vector conversion; the weights then go straight into four accumulators.
 * Models repack Q6_K at load by default ({@link Q6_KDots}, a byte per code, half the instructions);
 * this kernel serves GGUF's layout ({@code -Disthmus.repack} without q6_k).
 */
final class Q6_KKernel extends RowTiledKernel {

    private static final int BLOCK = 256;
    private static final int BLOCK_BYTES = 210;
    /** Float vectors per byte-vector load (2 at 128 bits, else 1). */
    private static final int PARTS = B.length() / LANES;

    Q6_KKernel() {
        super(GgmlType.Q6_K);
    }

    /** d·scale of the super-block at {@code bo}'s sixteen sub-blocks into {@code f[0..15]}, −32·d·scale into {@code f[16..31]}. */
    private static void factors(MemorySegment w, long bo, float[] f) {
        float d = Float.float16ToFloat(w.get(Dequantize.SHORT_LE, bo + 208));
        ByteVector sc = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, bo + 192, ByteOrder.LITTLE_ENDIAN);
        for (int p = 0; p < 16 / LANES; p++) {
            FloatVector v = ((FloatVector) sc.convertShape(VectorOperators.B2F, F, p)).mul(d);
            v.intoArray(f, p * LANES);
            v.mul(-32f).intoArray(f, 16 + p * LANES);
        }
    }

    @Override
    float dot1(MemorySegment w, long off, int k, float[] x, int xo) {
        int full = k / BLOCK;
        float[] f = new float[32];
        // values l, l+32, l+64 and l+96 each have an accumulator
        FloatVector a1 = FloatVector.zero(F), a2 = a1, a3 = a1, a4 = a1;
        for (int b = 0; b < full; b++) {
            long bo = off + (long) b * BLOCK_BYTES;
            factors(w, bo, f);
            for (int half = 0; half < 2; half++) {
                long ql = bo + 64 * half, qh = bo + 128 + 32 * half;
                int xh = xo + b * BLOCK + 128 * half;
                for (int l0 = 0; l0 < 32; l0 += 16) { // sub-blocks is, is + 2, is + 4, is + 6
                    int is = 8 * half + l0 / 16;
                    FloatVector d1 = FloatVector.broadcast(F, f[is]), m1 = FloatVector.broadcast(F, f[16 + is]);
                    FloatVector d2 = FloatVector.broadcast(F, f[is + 2]), m2 = FloatVector.broadcast(F, f[18 + is]);
                    FloatVector d3 = FloatVector.broadcast(F, f[is + 4]), m3 = FloatVector.broadcast(F, f[20 + is]);
                    FloatVector d4 = FloatVector.broadcast(F, f[is + 6]), m4 = FloatVector.broadcast(F, f[22 + is]);
                    // j0 from 0, not from l0: C2 unrolls a constant trip count (measured ~30 % faster)
                    for (int j0 = 0; j0 < 16; j0 += B.length()) {
                        int j = l0 + j0;
                        ByteVector a = ByteVector.fromMemorySegment(B, w, ql + j, ByteOrder.LITTLE_ENDIAN);
                        ByteVector c = ByteVector.fromMemorySegment(B, w, ql + 32 + j, ByteOrder.LITTLE_ENDIAN);
                        ByteVector h = ByteVector.fromMemorySegment(B, w, qh + j, ByteOrder.LITTLE_ENDIAN);
                        // shifts run on int lanes (x86 has no byte shift); the masks drop the bits crossing bytes
                        IntVector ai = a.reinterpretAsInts(), ci = c.reinterpretAsInts(), hi = h.reinterpretAsInts();
                        ByteVector q1 = a.and((byte) 0x0F).or(hi.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x30));
                        ByteVector q2 = c.and((byte) 0x0F).or(hi.lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and((byte) 0x30));
                        ByteVector q3 = ai.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).or(h.and((byte) 0x30));
                        ByteVector q4 = ci.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F)
                                .or(hi.lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes().and((byte) 0x30));
                        for (int p = 0; p < PARTS; p++) {
                            int xc = xh + j + p * LANES;
                            a1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, p)).fma(d1, m1)
                                    .fma(FloatVector.fromArray(F, x, xc), a1);
                            a2 = ((FloatVector) q2.convertShape(VectorOperators.B2F, F, p)).fma(d2, m2)
                                    .fma(FloatVector.fromArray(F, x, xc + 32), a2);
                            a3 = ((FloatVector) q3.convertShape(VectorOperators.B2F, F, p)).fma(d3, m3)
                                    .fma(FloatVector.fromArray(F, x, xc + 64), a3);
                            a4 = ((FloatVector) q4.convertShape(VectorOperators.B2F, F, p)).fma(d4, m4)
                                    .fma(FloatVector.fromArray(F, x, xc + 96), a4);
                        }
                    }
                }
            }
        }
        return a1.add(a2).add(a3.add(a4)).reduceLanes(VectorOperators.ADD) + partialBlock(w, off, k, x, xo);
    }

    @Override
    void dot4(MemorySegment w, long off, int k, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        int full = k / BLOCK;
        float[] f = new float[32];
        // values l and l+64 go to one set of accumulators, l+32 and l+96 to another: shorter FMA chains
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int b = 0; b < full; b++) {
            long bo = off + (long) b * BLOCK_BYTES;
            factors(w, bo, f);
            for (int half = 0; half < 2; half++) {
                long ql = bo + 64 * half, qh = bo + 128 + 32 * half;
                for (int l0 = 0; l0 < 32; l0 += 16) {
                    int is = 8 * half + l0 / 16;
                    FloatVector d1 = FloatVector.broadcast(F, f[is]), m1 = FloatVector.broadcast(F, f[16 + is]);
                    FloatVector d2 = FloatVector.broadcast(F, f[is + 2]), m2 = FloatVector.broadcast(F, f[18 + is]);
                    FloatVector d3 = FloatVector.broadcast(F, f[is + 4]), m3 = FloatVector.broadcast(F, f[20 + is]);
                    FloatVector d4 = FloatVector.broadcast(F, f[is + 6]), m4 = FloatVector.broadcast(F, f[22 + is]);
                    for (int j0 = 0; j0 < 16; j0 += B.length()) {
                        int j = l0 + j0;
                        ByteVector a = ByteVector.fromMemorySegment(B, w, ql + j, ByteOrder.LITTLE_ENDIAN);
                        ByteVector c = ByteVector.fromMemorySegment(B, w, ql + 32 + j, ByteOrder.LITTLE_ENDIAN);
                        ByteVector h = ByteVector.fromMemorySegment(B, w, qh + j, ByteOrder.LITTLE_ENDIAN);
                        IntVector ai = a.reinterpretAsInts(), ci = c.reinterpretAsInts(), hi = h.reinterpretAsInts();
                        ByteVector q1 = a.and((byte) 0x0F).or(hi.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x30));
                        ByteVector q2 = c.and((byte) 0x0F).or(hi.lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and((byte) 0x30));
                        ByteVector q3 = ai.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).or(h.and((byte) 0x30));
                        ByteVector q4 = ci.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F)
                                .or(hi.lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes().and((byte) 0x30));
                        for (int p = 0; p < PARTS; p++) {
                            int cc = b * BLOCK + 128 * half + j + p * LANES;
                            FloatVector w1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, p)).fma(d1, m1);
                            FloatVector w2 = ((FloatVector) q2.convertShape(VectorOperators.B2F, F, p)).fma(d2, m2);
                            FloatVector w3 = ((FloatVector) q3.convertShape(VectorOperators.B2F, F, p)).fma(d3, m3);
                            FloatVector w4 = ((FloatVector) q4.convertShape(VectorOperators.B2F, F, p)).fma(d4, m4);
                            a0 = w1.fma(FloatVector.fromArray(F, x, x0 + cc), a0);
                            a1 = w1.fma(FloatVector.fromArray(F, x, x1 + cc), a1);
                            a2 = w1.fma(FloatVector.fromArray(F, x, x2 + cc), a2);
                            a3 = w1.fma(FloatVector.fromArray(F, x, x3 + cc), a3);
                            b0 = w2.fma(FloatVector.fromArray(F, x, x0 + cc + 32), b0);
                            b1 = w2.fma(FloatVector.fromArray(F, x, x1 + cc + 32), b1);
                            b2 = w2.fma(FloatVector.fromArray(F, x, x2 + cc + 32), b2);
                            b3 = w2.fma(FloatVector.fromArray(F, x, x3 + cc + 32), b3);
                            a0 = w3.fma(FloatVector.fromArray(F, x, x0 + cc + 64), a0);
                            a1 = w3.fma(FloatVector.fromArray(F, x, x1 + cc + 64), a1);
                            a2 = w3.fma(FloatVector.fromArray(F, x, x2 + cc + 64), a2);
                            a3 = w3.fma(FloatVector.fromArray(F, x, x3 + cc + 64), a3);
                            b0 = w4.fma(FloatVector.fromArray(F, x, x0 + cc + 96), b0);
                            b1 = w4.fma(FloatVector.fromArray(F, x, x1 + cc + 96), b1);
                            b2 = w4.fma(FloatVector.fromArray(F, x, x2 + cc + 96), b2);
                            b3 = w4.fma(FloatVector.fromArray(F, x, x3 + cc + 96), b3);
                        }
                    }
                }
            }
        }
        out[0] = a0.add(b0).reduceLanes(VectorOperators.ADD) + partialBlock(w, off, k, x, x0);
        out[1] = a1.add(b1).reduceLanes(VectorOperators.ADD) + partialBlock(w, off, k, x, x1);
        out[2] = a2.add(b2).reduceLanes(VectorOperators.ADD) + partialBlock(w, off, k, x, x2);
        out[3] = a3.add(b3).reduceLanes(VectorOperators.ADD) + partialBlock(w, off, k, x, x3);
    }
}
