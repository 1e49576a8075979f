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
 * Q8_0 weights (blocks of 32: f16 scale + 32 int8). The int8 values widen to floats in registers;
 * for one x row the block's products are summed first and scaled once per block, for four x rows
 * the decoded weights are scaled once and shared by the four accumulators. No helper methods take
 * or return vectors here: one C2 declines to inline boxes its vectors (see {@link F16Kernel}).
 */
final class Q8_0Kernel extends RowTiledKernel {

    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 34;
    /** Float vectors per byte-vector load (2 at 128 bits, else 1). */
    private static final int PARTS = B.length() / LANES;

    Q8_0Kernel() {
        super(GgmlType.Q8_0);
    }

    @Override
    void decodeBlocks(MemorySegment w, long off, int count, float[] out, int o) {
        for (int b = 0; b < count; b++) {
            long bo = off + (long) b * BLOCK_BYTES;
            float d = Dequantize.f16(w, bo);
            int ob = o + b * BLOCK;
            for (int j = 0; j < BLOCK; j += B.length()) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, bo + 2 + j, ByteOrder.LITTLE_ENDIAN);
                for (int p = 0; p < PARTS; p++) {
                    ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).mul(d).intoArray(out, ob + j + p * LANES);
                }
            }
        }
    }

    @Override
    float dot1(MemorySegment w, long off, int k, float[] x, int xo) {
        int full = k / BLOCK;
        // blocks in pairs, each pair's two sums and scalings in separate chains: one chain of
        // fma(sum, scale, acc) a block waits ~4 cycles per block on the one before (measured 20 %
        // slower at k = 512 and 4096 on Zen 5)
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int b = 0;
        for (; b + 2 <= full; b += 2) {
            long bo = off + (long) b * BLOCK_BYTES;
            long bo1 = bo + BLOCK_BYTES;
            int xc = xo + b * BLOCK;
            FloatVector s0 = FloatVector.zero(F), s1 = s0;
            for (int j = 0; j < BLOCK; j += B.length()) { // constant trip counts: fully unrolled
                ByteVector q0 = ByteVector.fromMemorySegment(B, w, bo + 2 + j, ByteOrder.LITTLE_ENDIAN);
                ByteVector q1 = ByteVector.fromMemorySegment(B, w, bo1 + 2 + j, ByteOrder.LITTLE_ENDIAN);
                for (int p = 0; p < PARTS; p++) {
                    int c = xc + j + p * LANES;
                    s0 = ((FloatVector) q0.convertShape(VectorOperators.B2F, F, p)).fma(FloatVector.fromArray(F, x, c), s0);
                    s1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, p)).fma(FloatVector.fromArray(F, x, c + BLOCK), s1);
                }
            }
            a0 = s0.fma(FloatVector.broadcast(F, Dequantize.f16(w, bo)), a0);
            a1 = s1.fma(FloatVector.broadcast(F, Dequantize.f16(w, bo1)), a1);
        }
        if (b < full) { // an odd block count: the last whole block alone
            long bo = off + (long) b * BLOCK_BYTES;
            int xc = xo + b * BLOCK;
            FloatVector s0 = FloatVector.zero(F);
            for (int j = 0; j < BLOCK; j += B.length()) {
                ByteVector q0 = ByteVector.fromMemorySegment(B, w, bo + 2 + j, ByteOrder.LITTLE_ENDIAN);
                for (int p = 0; p < PARTS; p++) {
                    s0 = ((FloatVector) q0.convertShape(VectorOperators.B2F, F, p)).fma(FloatVector.fromArray(F, x, xc + j + p * LANES), s0);
                }
            }
            a0 = s0.fma(FloatVector.broadcast(F, Dequantize.f16(w, bo)), a0);
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD) + tail(w, off, k, x, xo);
    }

    /** The partial last block of a row whose length is not a multiple of 32 (0 when there is none). */
    private static float tail(MemorySegment w, long off, int k, float[] x, int xo) {
        int rest = k % BLOCK;
        if (rest == 0) {
            return 0;
        }
        float[] v = new float[BLOCK];
        Dequantize.q8_0(w, off + (long) (k / BLOCK) * BLOCK_BYTES, v, 0);
        return scalarDot(v, rest, x, xo + k - rest);
    }

    @Override
    void dot4(MemorySegment w, long off, int k, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        int full = k / BLOCK;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < full; b++) {
            long bo = off + (long) b * BLOCK_BYTES;
            FloatVector d = FloatVector.broadcast(F, Dequantize.f16(w, bo));
            int c = b * BLOCK;
            for (int j = 0; j < BLOCK; j += B.length()) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, bo + 2 + j, ByteOrder.LITTLE_ENDIAN);
                for (int p = 0; p < PARTS; p++) {
                    FloatVector wv = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).mul(d);
                    int cc = c + j + p * LANES;
                    a0 = wv.fma(FloatVector.fromArray(F, x, x0 + cc), a0);
                    a1 = wv.fma(FloatVector.fromArray(F, x, x1 + cc), a1);
                    a2 = wv.fma(FloatVector.fromArray(F, x, x2 + cc), a2);
                    a3 = wv.fma(FloatVector.fromArray(F, x, x3 + cc), a3);
                }
            }
        }
        out[0] = a0.reduceLanes(VectorOperators.ADD) + tail(w, off, k, x, x0);
        out[1] = a1.reduceLanes(VectorOperators.ADD) + tail(w, off, k, x, x1);
        out[2] = a2.reduceLanes(VectorOperators.ADD) + tail(w, off, k, x, x2);
        out[3] = a3.reduceLanes(VectorOperators.ADD) + tail(w, off, k, x, x3);
    }
}
