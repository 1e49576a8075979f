package io.isthmus.runtime.kernel;

import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;

import io.isthmus.runtime.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * F16 and BF16 weights: the two differ only in the decode step, a loop-invariant choice the JIT
 * unswitches out of the loops.
 */
final class HalfKernel extends RowTiledKernel {

    private final boolean bf16;

    HalfKernel(GgmlType type) {
        super(type);
        if (type != GgmlType.F16 && type != GgmlType.BF16) {
            throw new IllegalArgumentException("not a 16-bit float type: " + type);
        }
        this.bf16 = type == GgmlType.BF16;
    }

    private static FloatVector load(boolean bf16, MemorySegment w, long at) {
        return bf16 ? HalfVectors.bf16(w, at) : HalfVectors.f16(w, at);
    }

    private static float scalar(boolean bf16, MemorySegment w, long at) {
        return bf16 ? Dequantize.bf16(w, at) : Dequantize.f16(w, at);
    }

    @Override
    float dot1(MemorySegment w, long off, int k, float[] x, int xo) {
        boolean bf = bf16;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int c = 0;
        for (int bound = k - 4 * LANES; c <= bound; c += 4 * LANES) {
            long o = off + 2L * c;
            a0 = load(bf, w, o).fma(FloatVector.fromArray(F, x, xo + c), a0);
            a1 = load(bf, w, o + 2L * LANES).fma(FloatVector.fromArray(F, x, xo + c + LANES), a1);
            a2 = load(bf, w, o + 4L * LANES).fma(FloatVector.fromArray(F, x, xo + c + 2 * LANES), a2);
            a3 = load(bf, w, o + 6L * LANES).fma(FloatVector.fromArray(F, x, xo + c + 3 * LANES), a3);
        }
        for (int bound = k - LANES; c <= bound; c += LANES) {
            a0 = load(bf, w, off + 2L * c).fma(FloatVector.fromArray(F, x, xo + c), a0);
        }
        float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; c < k; c++) {
            s += scalar(bf, w, off + 2L * c) * x[xo + c];
        }
        return s;
    }

    @Override
    void dot4(MemorySegment w, long off, int k, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        boolean bf = bf16;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int c = 0;
        for (int bound = k - LANES; c <= bound; c += LANES) {
            FloatVector wv = load(bf, w, off + 2L * c);
            a0 = wv.fma(FloatVector.fromArray(F, x, x0 + c), a0);
            a1 = wv.fma(FloatVector.fromArray(F, x, x1 + c), a1);
            a2 = wv.fma(FloatVector.fromArray(F, x, x2 + c), a2);
            a3 = wv.fma(FloatVector.fromArray(F, x, x3 + c), a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; c < k; c++) {
            float v = scalar(bf, w, off + 2L * c);
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
