package io.isthmus.runtime.kernel;

import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.I;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;
import static io.isthmus.runtime.kernel.VectorSettings.S;

import io.isthmus.runtime.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * BF16 weights: a bfloat16 is the upper half of a float, so decoding is a widening and a shift.
 * The decode is written out in each loop (see {@link F16Kernel} for why).
 */
final class BF16Kernel extends RowTiledKernel {

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    BF16Kernel() {
        super(GgmlType.BF16);
    }

    @Override
    float dot1(MemorySegment w, long off, int k, float[] x, int xo) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int c = 0;
        for (int bound = k - 2 * LANES; c <= bound; c += 2 * LANES) {
            long o = off + 2L * c;
            FloatVector w0 = ((IntVector) ShortVector.fromMemorySegment(S, w, o, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w1 = ((IntVector) ShortVector.fromMemorySegment(S, w, o + 2L * LANES, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a0 = w0.fma(FloatVector.fromArray(F, x, xo + c), a0);
            a1 = w1.fma(FloatVector.fromArray(F, x, xo + c + LANES), a1);
        }
        for (int bound = k - LANES; c <= bound; c += LANES) {
            FloatVector w0 = ((IntVector) ShortVector.fromMemorySegment(S, w, off + 2L * c, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a0 = w0.fma(FloatVector.fromArray(F, x, xo + c), a0);
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; c < k; c++) {
            s += Dequantize.bf16(w, off + 2L * c) * x[xo + c];
        }
        return s;
    }

    @Override
    void dot4(MemorySegment w, long off, int k, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int c = 0;
        for (int bound = k - LANES; c <= bound; c += LANES) {
            FloatVector wv = ((IntVector) ShortVector.fromMemorySegment(S, w, off + 2L * c, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a0 = wv.fma(FloatVector.fromArray(F, x, x0 + c), a0);
            a1 = wv.fma(FloatVector.fromArray(F, x, x1 + c), a1);
            a2 = wv.fma(FloatVector.fromArray(F, x, x2 + c), a2);
            a3 = wv.fma(FloatVector.fromArray(F, x, x3 + c), a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; c < k; c++) {
            float v = Dequantize.bf16(w, off + 2L * c);
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
