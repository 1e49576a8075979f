package io.isthmus.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class OpsTest {

    private static final int[] SIZES = {1, 7, 8, 33, 100, 4096 + 3};
    private final Random rnd = new Random(3);

    private static void assertClose(double want, float got, double rel, String what) {
        assertTrue(Math.abs(got - want) <= rel * Math.max(1, Math.abs(want)), what + ": want " + want + " got " + got);
    }

    @Test
    void sumExpMatchesTheScalarSumInDouble() {
        Random rnd = new Random(5);
        float[] x = new float[32003];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextFloat() * 20 - 10;
        }
        float max = Ops.max(x, 2, 32001);
        double want = 0;
        for (int i = 2; i < 32003; i++) {
            want += Math.exp(x[i] - max);
        }
        assertEquals(want, Ops.sumExp(x, 2, 32001, max), 1e-5 * want);
    }

    @Test
    void dotSumMaxArgmax() {
        for (int n : SIZES) {
            float[] a = Reference.gaussian(rnd, n + 2, 1), b = Reference.gaussian(rnd, n + 5, 1);
            double dot = 0, sum = 0, max = Double.NEGATIVE_INFINITY;
            int arg = -1;
            for (int i = 0; i < n; i++) {
                dot += (double) a[i + 2] * b[i + 5];
                sum += a[i + 2];
                if (a[i + 2] > max) {
                    max = a[i + 2];
                    arg = i;
                }
            }
            assertClose(dot, Ops.dot(a, 2, b, 5, n), 1e-5, "dot " + n);
            assertClose(sum, Ops.sum(a, 2, n), 1e-5, "sum " + n);
            assertEquals((float) max, Ops.max(a, 2, n));
            assertEquals(arg, Ops.argmax(a, 2, n));
        }
        assertEquals(1, Ops.argmax(new float[] {1, 5, 5, 2}, 0, 4), "first of ties");
    }

    @Test
    void maxAbsAndFirstAbove() {
        for (int n : SIZES) {
            float[] a = Reference.gaussian(rnd, n + 2, 1);
            float maxAbs = 0;
            for (int i = 0; i < n; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(a[i + 2]));
            }
            assertEquals(maxAbs, Ops.maxAbs(a, 2, n), "maxAbs " + n);
            float threshold = 1.5f;
            int first = 2 + n;
            for (int i = 2; i < 2 + n; i++) {
                if (a[i] > threshold) {
                    first = i;
                    break;
                }
            }
            assertEquals(first, Ops.firstAbove(a, 2, 2 + n, threshold), "firstAbove " + n);
        }
        float[] v = new float[40];
        v[3] = 9; // before the range
        v[37] = 2;
        v[38] = Float.NaN;
        assertEquals(37, Ops.firstAbove(v, 4, 40, 1), "in the scalar tail");
        assertEquals(38, Ops.firstAbove(v, 4, 38, 2), "none above: the end; equal is not above");
        assertEquals(40, Ops.firstAbove(v, 38, 40, 0), "NaN is never above");
    }

    @Test
    void norms() {
        for (int n : SIZES) {
            float[] x = Reference.gaussian(rnd, n + 1, 2), w = Reference.gaussian(rnd, n, 1), bias = Reference.gaussian(rnd, n, 1);
            float eps = 1e-5f;
            float[] out = new float[n + 3];
            Ops.rmsNorm(out, 3, x, 1, w, 0, eps, n);
            double ss = 0, mean = 0;
            for (int i = 0; i < n; i++) {
                ss += (double) x[i + 1] * x[i + 1];
                mean += x[i + 1];
            }
            mean /= n;
            double inv = 1 / Math.sqrt(ss / n + eps);
            for (int i = 0; i < n; i++) {
                assertClose(x[i + 1] * inv * w[i], out[i + 3], 1e-5, "rmsNorm " + n + "[" + i + "]");
            }
            double var = 0;
            for (int i = 0; i < n; i++) {
                var += (x[i + 1] - mean) * (x[i + 1] - mean);
            }
            double invStd = 1 / Math.sqrt(var / n + eps);
            Ops.layerNorm(out, 3, x, 1, w, 0, bias, 0, eps, n);
            for (int i = 0; i < n; i++) {
                assertClose((x[i + 1] - mean) * invStd * w[i] + bias[i], out[i + 3], 1e-5, "layerNorm " + n + "[" + i + "]");
            }
        }
    }

    @Test
    void softmaxSumsToOne() {
        for (int n : SIZES) {
            float[] x = Reference.gaussian(rnd, n + 4, 5);
            float[] orig = x.clone();
            Ops.softmax(x, 4, n);
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, orig[i + 4]);
            }
            for (int i = 0; i < n; i++) {
                z += Math.exp(orig[i + 4] - max);
            }
            for (int i = 0; i < n; i++) {
                assertClose(Math.exp(orig[i + 4] - max) / z, x[i + 4], 1e-6, "softmax " + n);
            }
            for (int i = 0; i < 4; i++) {
                assertEquals(orig[i], x[i], "outside the range untouched");
            }
        }
    }

    @Test
    void activations() {
        for (int n : SIZES) {
            float[] x = Reference.gaussian(rnd, n, 3), up = Reference.gaussian(rnd, n, 1);
            float[] silu = new float[n], swiglu = new float[n], gt = new float[n], ge = new float[n];
            Ops.silu(silu, 0, x, 0, n);
            Ops.swiglu(swiglu, 0, x, 0, up, 0, n);
            Ops.geluTanh(gt, 0, x, 0, n);
            Ops.geluErf(ge, 0, x, 0, n);
            for (int i = 0; i < n; i++) {
                double v = x[i];
                double s = v / (1 + Math.exp(-v));
                assertClose(s, silu[i], 1e-6, "silu(" + v + ")");
                assertClose(s * up[i], swiglu[i], 1e-6, "swiglu");
                assertClose(0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))), gt[i], 1e-6, "geluTanh(" + v + ")");
                assertClose(v * phi(v), ge[i], 1e-6, "geluErf(" + v + ")");
            }
        }
    }

    /** Standard normal CDF by numerical integration of the density (independent of Erf). */
    private static double phi(double x) {
        if (x < 0) {
            return 1 - phi(-x);
        }
        int steps = 20_000; // Simpson on [0, x]
        double h = x / steps, s = 0;
        for (int i = 0; i <= steps; i++) {
            double t = i * h, f = Math.exp(-t * t / 2);
            s += (i == 0 || i == steps) ? f : (i % 2 == 1 ? 4 * f : 2 * f);
        }
        return 0.5 + s * h / 3 / Math.sqrt(2 * Math.PI);
    }

    @Test
    void erfKnownValues() {
        assertEquals(0.0, Erf.erf(0));
        assertEquals(0.8427007929497149, Erf.erf(1), 1e-15);
        assertEquals(-0.9953222650189527, Erf.erf(-2), 1e-15);
        assertEquals(0.9999779095030014, Erf.erf(3), 1e-15);
        assertEquals(0.5204998778130465, Erf.erf(0.5), 1e-15);
        assertEquals(1 - 1.5374597944280349e-12, Erf.erf(5), 1e-16);
        assertEquals(1.0, Erf.erf(7));
    }

    @Test
    void addMulAxpyScale() {
        for (int n : SIZES) {
            float[] a = Reference.gaussian(rnd, n, 1), b = Reference.gaussian(rnd, n, 1);
            float[] out = new float[n];
            Ops.add(out, 0, a, 0, b, 0, n);
            for (int i = 0; i < n; i++) {
                assertEquals(a[i] + b[i], out[i]);
            }
            Ops.mul(out, 0, a, 0, b, 0, n);
            for (int i = 0; i < n; i++) {
                assertEquals(a[i] * b[i], out[i]);
            }
            float[] y = b.clone();
            Ops.axpy(y, 0, 0.5f, a, 0, n);
            for (int i = 0; i < n; i++) {
                assertClose(b[i] + 0.5 * a[i], y[i], 1e-6, "axpy");
            }
            Ops.scale(y, 0, 2f, n);
            for (int i = 0; i < n; i++) {
                assertClose(2 * (b[i] + 0.5 * a[i]), y[i], 1e-6, "scale");
            }
        }
    }
}
