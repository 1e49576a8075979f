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
 * Q4_0 weights (blocks of 32: f16 scale + 16 bytes; byte j holds element j in its low nibble and
 * element j+16 in its high one; value (q−8)·d). Nibbles are split and re-centred as bytes, then
 * widened to floats in registers.
 */
final class Q4_0Kernel extends RowTiledKernel {

    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 18;
    private static final int PARTS = B.length() / LANES;

    Q4_0Kernel() {
        super(GgmlType.Q4_0);
    }

    @Override
    float dot1(MemorySegment w, long off, int k, float[] x, int xo) {
        int full = k / BLOCK;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < full; b++) {
            long bo = off + (long) b * BLOCK_BYTES;
            int xc = xo + b * BLOCK;
            FloatVector sum = FloatVector.zero(F);
            for (int j = 0; j < BLOCK / 2; j += B.length()) { // constant trip counts: fully unrolled
                ByteVector q = ByteVector.fromMemorySegment(B, w, bo + 2 + j, ByteOrder.LITTLE_ENDIAN);
                ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
                ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
                for (int p = 0; p < PARTS; p++) {
                    int c = xc + j + p * LANES;
                    sum = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, p))
                            .fma(FloatVector.fromArray(F, x, c), sum);
                    sum = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, p))
                            .fma(FloatVector.fromArray(F, x, c + BLOCK / 2), sum);
                }
            }
            acc = sum.fma(FloatVector.broadcast(F, Dequantize.f16(w, bo)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD) + tail(w, off, k, x, xo);
    }

    private static float tail(MemorySegment w, long off, int k, float[] x, int xo) {
        int rest = k % BLOCK;
        if (rest == 0) {
            return 0;
        }
        float[] v = new float[BLOCK];
        Dequantize.q4_0(w, off + (long) (k / BLOCK) * BLOCK_BYTES, v, 0);
        return scalarDot(v, rest, x, xo + k - rest);
    }

    @Override
    void dot4(MemorySegment w, long off, int k, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        int full = k / BLOCK;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < full; b++) {
            long bo = off + (long) b * BLOCK_BYTES;
            FloatVector d = FloatVector.broadcast(F, Dequantize.f16(w, bo));
            for (int j = 0; j < BLOCK / 2; j += B.length()) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, bo + 2 + j, ByteOrder.LITTLE_ENDIAN);
                ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
                ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
                for (int p = 0; p < PARTS; p++) {
                    for (int h = 0; h < 2; h++) {
                        FloatVector wv = ((FloatVector) (h == 0 ? lo : hi).convertShape(VectorOperators.B2F, F, p)).mul(d);
                        int c = b * BLOCK + j + p * LANES + h * (BLOCK / 2);
                        a0 = wv.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                        a1 = wv.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                        a2 = wv.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                        a3 = wv.fma(FloatVector.fromArray(F, x, x3 + c), a3);
                    }
                }
            }
        }
        out[0] = a0.reduceLanes(VectorOperators.ADD) + tail(w, off, k, x, x0);
        out[1] = a1.reduceLanes(VectorOperators.ADD) + tail(w, off, k, x, x1);
        out[2] = a2.reduceLanes(VectorOperators.ADD) + tail(w, off, k, x, x2);
        out[3] = a3.reduceLanes(VectorOperators.ADD) + tail(w, off, k, x, x3);
    }
}
