package io.isthmus.runtime.quant.uniform;

import static io.isthmus.runtime.kernel.VectorSettings.B;
import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;

import io.isthmus.runtime.kernel.RowTiles;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * GEMV and small-M products of {@link Int8Matrix}: each weight row's int8 codes widen to floats in
 * registers, are multiplied with up to four x rows at a time (the tiles of {@link RowTiles}, shared with
 * the other kernels), and the sums are scaled once by the row's scale.
 */
final class Int8Kernel {
    /** Float vectors per byte-vector load (2 at 128 bits, else 1). */
    private static final int PARTS = B.length() / LANES;

    private Int8Kernel() {
    }

    static void matmul(MemorySegment codes, MemorySegment scales, int n, int k,
                       float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
        RowTiles.matmul(new RowTiles.RowDots() {
            @Override
            public float dot1(int row, float[] x, int xo) {
                return Int8Kernel.dot1(codes, (long) row * k, k, x, xo) * scale(row);
            }

            @Override
            public void dot4(int row, float[] x, int x0, int x1, int x2, int x3, float[] out) {
                Int8Kernel.dot4(codes, (long) row * k, k, x, x0, x1, x2, x3, out);
                float s = scale(row);
                for (int j = 0; j < 4; j++) {
                    out[j] *= s;
                }
            }

            private float scale(int row) {
                return scales.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, row);
            }
        }, n, k, x, xOff, m, y, yOff, rowFrom, rowTo);
    }

    static float dot1(MemorySegment w, long off, int k, float[] x, int xo) {
        // four accumulators over consecutive loads: one chain would wait on each FMA's latency
        // (measured ~12 GB/s on one Zen 5 core, a third of what the loads allow)
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int step = B.length();
        int c = 0;
        for (; c + 4 * step <= k; c += 4 * step) {
            ByteVector q0 = ByteVector.fromMemorySegment(B, w, off + c, ByteOrder.LITTLE_ENDIAN);
            ByteVector q1 = ByteVector.fromMemorySegment(B, w, off + c + step, ByteOrder.LITTLE_ENDIAN);
            ByteVector q2 = ByteVector.fromMemorySegment(B, w, off + c + 2 * step, ByteOrder.LITTLE_ENDIAN);
            ByteVector q3 = ByteVector.fromMemorySegment(B, w, off + c + 3 * step, ByteOrder.LITTLE_ENDIAN);
            for (int p = 0; p < PARTS; p++) {
                int xc = xo + c + p * LANES;
                a0 = ((FloatVector) q0.convertShape(VectorOperators.B2F, F, p)).fma(FloatVector.fromArray(F, x, xc), a0);
                a1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, p)).fma(FloatVector.fromArray(F, x, xc + step), a1);
                a2 = ((FloatVector) q2.convertShape(VectorOperators.B2F, F, p)).fma(FloatVector.fromArray(F, x, xc + 2 * step), a2);
                a3 = ((FloatVector) q3.convertShape(VectorOperators.B2F, F, p)).fma(FloatVector.fromArray(F, x, xc + 3 * step), a3);
            }
        }
        for (; c + step <= k; c += step) {
            ByteVector q = ByteVector.fromMemorySegment(B, w, off + c, ByteOrder.LITTLE_ENDIAN);
            for (int p = 0; p < PARTS; p++) {
                a0 = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p))
                        .fma(FloatVector.fromArray(F, x, xo + c + p * LANES), a0);
            }
        }
        float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; c < k; c++) {
            sum += w.get(ValueLayout.JAVA_BYTE, off + c) * x[xo + c];
        }
        return sum;
    }

    static void dot4(MemorySegment w, long off, int k, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int c = 0;
        for (; c + B.length() <= k; c += B.length()) {
            ByteVector q = ByteVector.fromMemorySegment(B, w, off + c, ByteOrder.LITTLE_ENDIAN);
            for (int p = 0; p < PARTS; p++) {
                FloatVector wv = (FloatVector) q.convertShape(VectorOperators.B2F, F, p);
                int cc = c + p * LANES;
                a0 = wv.fma(FloatVector.fromArray(F, x, x0 + cc), a0);
                a1 = wv.fma(FloatVector.fromArray(F, x, x1 + cc), a1);
                a2 = wv.fma(FloatVector.fromArray(F, x, x2 + cc), a2);
                a3 = wv.fma(FloatVector.fromArray(F, x, x3 + cc), a3);
            }
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; c < k; c++) {
            float q = w.get(ValueLayout.JAVA_BYTE, off + c);
            s0 += q * x[x0 + c];
            s1 += q * x[x1 + c];
            s2 += q * x[x2 + c];
            s3 += q * x[x3 + c];
        }
        out[0] = s0;
        out[1] = s1;
        out[2] = s2;
        out[3] = s3;
    }
}
