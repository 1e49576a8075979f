package io.isthmus.runtime.kernel;

import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Vectorized elementwise and reduction helpers over float arrays with offsets, as the layers of a
 * transformer use them. Output arrays may be the same as inputs (in place) when the ranges are
 * identical.
 */
public final class Ops {

    private static final float SQRT_2_OVER_PI = 0.7978845608028654f;
    private static final float GELU_COEF_A = 0.044715f;

    private Ops() {
    }

    /** Σ a[aOff+i]·b[bOff+i] for i < size. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int size) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0;
        int i = 0;
        for (; i <= size - 2 * LANES; i += 2 * LANES) {
            s0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), s0);
            s1 = FloatVector.fromArray(F, a, aOff + i + LANES).fma(FloatVector.fromArray(F, b, bOff + i + LANES), s1);
        }
        for (; i <= size - LANES; i += LANES) {
            s0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), s0);
        }
        float s = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; i < size; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    /** Σ x[off+i]² for i < size. */
    public static float sumOfSquares(float[] x, int off, int size) {
        return dot(x, off, x, off, size);
    }

    /** out = x / sqrt(mean(x²) + eps) · weight. */
    public static void rmsNorm(float[] out, int outOff, float[] x, int xOff, float[] weight, int wOff, float eps, int size) {
        float scale = (float) (1.0 / Math.sqrt(sumOfSquares(x, xOff, size) / size + eps));
        int i = 0;
        for (; i <= size - LANES; i += LANES) {
            FloatVector.fromArray(F, x, xOff + i).mul(scale).mul(FloatVector.fromArray(F, weight, wOff + i))
                    .intoArray(out, outOff + i);
        }
        for (; i < size; i++) {
            out[outOff + i] = x[xOff + i] * scale * weight[wOff + i];
        }
    }

    public static void rmsNorm(float[] out, float[] x, float[] weight, float eps, int size) {
        rmsNorm(out, 0, x, 0, weight, 0, eps, size);
    }

    /** out = (x − mean) / sqrt(var + eps) · weight + bias (bias may be null). */
    public static void layerNorm(float[] out, int outOff, float[] x, int xOff, float[] weight, int wOff,
                                 float[] bias, int bOff, float eps, int size) {
        float mean = sum(x, xOff, size) / size;
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i <= size - LANES; i += LANES) {
            FloatVector d = FloatVector.fromArray(F, x, xOff + i).sub(mean);
            acc = d.fma(d, acc);
        }
        float var = acc.reduceLanes(VectorOperators.ADD);
        for (; i < size; i++) {
            float d = x[xOff + i] - mean;
            var += d * d;
        }
        float scale = (float) (1.0 / Math.sqrt(var / size + eps));
        i = 0;
        for (; i <= size - LANES; i += LANES) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i).sub(mean).mul(scale)
                    .mul(FloatVector.fromArray(F, weight, wOff + i));
            if (bias != null) {
                v = v.add(FloatVector.fromArray(F, bias, bOff + i));
            }
            v.intoArray(out, outOff + i);
        }
        for (; i < size; i++) {
            out[outOff + i] = (x[xOff + i] - mean) * scale * weight[wOff + i] + (bias != null ? bias[bOff + i] : 0);
        }
    }

    public static void layerNorm(float[] out, float[] x, float[] weight, float[] bias, float eps, int size) {
        layerNorm(out, 0, x, 0, weight, 0, bias, 0, eps, size);
    }

    /** Σ x[off+i]. */
    public static float sum(float[] x, int off, int size) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i <= size - LANES; i += LANES) {
            acc = acc.add(FloatVector.fromArray(F, x, off + i));
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < size; i++) {
            s += x[off + i];
        }
        return s;
    }

    /** Largest of x[off..off+size). */
    public static float max(float[] x, int off, int size) {
        FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i <= size - LANES; i += LANES) {
            acc = acc.max(FloatVector.fromArray(F, x, off + i));
        }
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < size; i++) {
            m = Math.max(m, x[off + i]);
        }
        return m;
    }

    /**
     * The first index in [from, to) whose value is above {@code threshold}, or {@code to} if none
     * is (NaN is never above): how a top-k scan skips the bulk of a vocabulary once its k-th best
     * is high.
     */
    public static int firstAbove(float[] x, int from, int to, float threshold) {
        int i = from;
        for (; i <= to - LANES; i += LANES) {
            VectorMask<Float> above = FloatVector.fromArray(F, x, i).compare(VectorOperators.GT, threshold);
            if (above.anyTrue()) {
                return i + above.firstTrue();
            }
        }
        for (; i < to; i++) {
            if (x[i] > threshold) {
                return i;
            }
        }
        return to;
    }

    /** Largest |x[off+i]| over [off, off+size) (NaN when one is NaN, as {@link Math#max} has it). */
    public static float maxAbs(float[] x, int off, int size) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i <= size - LANES; i += LANES) {
            acc = acc.max(FloatVector.fromArray(F, x, off + i).abs());
        }
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < size; i++) {
            m = Math.max(m, Math.abs(x[off + i]));
        }
        return m;
    }

    /** Σ exp(x[off+i] − shift), for log-softmax; each lane sums in float, the lanes in double. */
    public static double sumExp(float[] x, int off, int size, float shift) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i <= size - LANES; i += LANES) {
            acc = acc.add(FloatVector.fromArray(F, x, off + i).sub(shift).lanewise(VectorOperators.EXP));
        }
        double sum = 0;
        for (int lane = 0; lane < LANES; lane++) {
            sum += acc.lane(lane);
        }
        for (; i < size; i++) {
            sum += Math.exp(x[off + i] - shift);
        }
        return sum;
    }

    /** log Σ exp(x[off+i]), shifted by the maximum for stability; x is left alone. */
    public static float logSumExp(float[] x, int off, int size) {
        float max = max(x, off, size);
        return (float) (max + Math.log(sumExp(x, off, size, max)));
    }

    /** In-place softmax of x[off..off+size), shifted by the maximum for stability. */
    public static void softmax(float[] x, int off, int size) {
        float max = max(x, off, size);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i <= size - LANES; i += LANES) {
            FloatVector e = FloatVector.fromArray(F, x, off + i).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < size; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        scale(x, off, 1 / sum, size);
    }

    /** out = x·sigmoid(x). */
    public static void silu(float[] out, int outOff, float[] x, int xOff, int size) {
        int i = 0;
        for (; i <= size - LANES; i += LANES) {
            silu(FloatVector.fromArray(F, x, xOff + i)).intoArray(out, outOff + i);
        }
        for (; i < size; i++) {
            float v = x[xOff + i];
            out[outOff + i] = v / (1 + (float) Math.exp(-v));
        }
    }

    private static FloatVector silu(FloatVector v) {
        return v.div(v.neg().lanewise(VectorOperators.EXP).add(1));
    }

    /** SwiGLU: out = silu(gate)·up. */
    public static void swiglu(float[] out, int outOff, float[] gate, int gOff, float[] up, int uOff, int size) {
        int i = 0;
        for (; i <= size - LANES; i += LANES) {
            silu(FloatVector.fromArray(F, gate, gOff + i)).mul(FloatVector.fromArray(F, up, uOff + i))
                    .intoArray(out, outOff + i);
        }
        for (; i < size; i++) {
            float g = gate[gOff + i];
            out[outOff + i] = g / (1 + (float) Math.exp(-g)) * up[uOff + i];
        }
    }

    /** GELU, tanh approximation (ggml's gelu, PyTorch's approximate="tanh"). */
    public static void geluTanh(float[] out, int outOff, float[] x, int xOff, int size) {
        int i = 0;
        for (; i <= size - LANES; i += LANES) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            FloatVector inner = v.mul(v).mul(GELU_COEF_A).add(1).mul(v).mul(SQRT_2_OVER_PI);
            inner.lanewise(VectorOperators.TANH).add(1).mul(v).mul(0.5f).intoArray(out, outOff + i);
        }
        for (; i < size; i++) {
            out[outOff + i] = geluTanh(x[xOff + i]);
        }
    }

    public static float geluTanh(float v) {
        return 0.5f * v * (1 + (float) Math.tanh(SQRT_2_OVER_PI * v * (1 + GELU_COEF_A * v * v)));
    }

    /** Exact GELU, x·Φ(x) = x/2·(1 + erf(x/√2)) (PyTorch's default). Scalar: erf has no vector op. */
    public static void geluErf(float[] out, int outOff, float[] x, int xOff, int size) {
        for (int i = 0; i < size; i++) {
            out[outOff + i] = geluErf(x[xOff + i]);
        }
    }

    public static float geluErf(float v) {
        return (float) (0.5 * v * (1 + Erf.erf(v * 0.7071067811865476)));
    }

    /** out = a + b. */
    public static void add(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff, int size) {
        int i = 0;
        for (; i <= size - LANES; i += LANES) {
            FloatVector.fromArray(F, a, aOff + i).add(FloatVector.fromArray(F, b, bOff + i)).intoArray(out, outOff + i);
        }
        for (; i < size; i++) {
            out[outOff + i] = a[aOff + i] + b[bOff + i];
        }
    }

    /** out = a · b elementwise. */
    public static void mul(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff, int size) {
        int i = 0;
        for (; i <= size - LANES; i += LANES) {
            FloatVector.fromArray(F, a, aOff + i).mul(FloatVector.fromArray(F, b, bOff + i)).intoArray(out, outOff + i);
        }
        for (; i < size; i++) {
            out[outOff + i] = a[aOff + i] * b[bOff + i];
        }
    }

    /** y += a·x (BLAS axpy). */
    public static void axpy(float[] y, int yOff, float a, float[] x, int xOff, int size) {
        int i = 0;
        for (; i <= size - LANES; i += LANES) {
            FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.broadcast(F, a), FloatVector.fromArray(F, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < size; i++) {
            y[yOff + i] += a * x[xOff + i];
        }
    }

    /** x *= s. */
    public static void scale(float[] x, int off, float s, int size) {
        int i = 0;
        for (; i <= size - LANES; i += LANES) {
            FloatVector.fromArray(F, x, off + i).mul(s).intoArray(x, off + i);
        }
        for (; i < size; i++) {
            x[off + i] *= s;
        }
    }

    /** Index (relative to off) of the largest value; the first one on ties. */
    public static int argmax(float[] x, int off, int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("argmax of an empty range");
        }
        float m = max(x, off, size);
        for (int i = 0; i < size; i++) {
            if (x[off + i] == m) {
                return i;
            }
        }
        return 0; // only NaNs: max is NaN and equals nothing
    }
}
