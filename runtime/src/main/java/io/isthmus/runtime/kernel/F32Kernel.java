package io.isthmus.runtime.kernel;

import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;

import io.isthmus.runtime.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** F32 weights. */
final class F32Kernel extends RowTiledKernel {

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    F32Kernel() {
        super(GgmlType.F32);
    }

    @Override
    float dot1(MemorySegment w, long off, int k, float[] x, int xo) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int c = 0;
        for (int bound = k - 4 * LANES; c <= bound; c += 4 * LANES) {
            long o = off + 4L * c;
            a0 = FloatVector.fromMemorySegment(F, w, o, LE).fma(FloatVector.fromArray(F, x, xo + c), a0);
            a1 = FloatVector.fromMemorySegment(F, w, o + 4L * LANES, LE).fma(FloatVector.fromArray(F, x, xo + c + LANES), a1);
            a2 = FloatVector.fromMemorySegment(F, w, o + 8L * LANES, LE).fma(FloatVector.fromArray(F, x, xo + c + 2 * LANES), a2);
            a3 = FloatVector.fromMemorySegment(F, w, o + 12L * LANES, LE).fma(FloatVector.fromArray(F, x, xo + c + 3 * LANES), a3);
        }
        for (int bound = k - LANES; c <= bound; c += LANES) {
            a0 = FloatVector.fromMemorySegment(F, w, off + 4L * c, LE).fma(FloatVector.fromArray(F, x, xo + c), a0);
        }
        float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; c < k; c++) {
            s += w.get(Dequantize.FLOAT_LE, off + 4L * c) * x[xo + c];
        }
        return s;
    }

    @Override
    void dot4(MemorySegment w, long off, int k, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int c = 0;
        for (int bound = k - LANES; c <= bound; c += LANES) {
            FloatVector wv = FloatVector.fromMemorySegment(F, w, off + 4L * c, LE);
            a0 = wv.fma(FloatVector.fromArray(F, x, x0 + c), a0);
            a1 = wv.fma(FloatVector.fromArray(F, x, x1 + c), a1);
            a2 = wv.fma(FloatVector.fromArray(F, x, x2 + c), a2);
            a3 = wv.fma(FloatVector.fromArray(F, x, x3 + c), a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; c < k; c++) {
            float v = w.get(Dequantize.FLOAT_LE, off + 4L * c);
            s0 += v * x[x0 + c];
            s1 += v * x[x1 + c];
            s2 += v * x[x2 + c];
            s3 += v * x[x3 + c];
        }
        out[0] = s0;
        out[1] = s1;
        out[2] = s2;
        out[3] = s3;
    }
}
