package io.isthmus.runtime.onednn;

import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.Quantize;
import io.isthmus.runtime.kernel.TensorMatrix;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.quant.uniform.Int8Format;
import io.isthmus.runtime.tensor.GgmlType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The oneDNN paths against a float64 product of the unquantized matrices, on random data. */
class OneDnnMatmulTest {
    private static ComputePool pool;
    private static Arena arena;

    @BeforeAll
    static void open() {
        pool = new ComputePool(2);
        arena = Arena.ofShared();
        assumeTrue(OneDnn.get(pool.cpus()).isPresent(), "oneDNN unavailable: " + OneDnn.unavailableReason());
    }

    @AfterAll
    static void close() {
        if (pool != null) {
            pool.close();
            arena.close();
        }
    }

    static float[] random(Random r, int count, double scale) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return v;
    }

    /** ‖y − ref‖_F / ‖ref‖_F with ref = x · Wᵀ in float64. */
    static double relativeError(float[] x, float[] w, int m, int n, int k, float[] y) {
        double err = 0, norm = 0;
        for (int i = 0; i < m; i++) {
            for (int r = 0; r < n; r++) {
                double s = 0;
                for (int c = 0; c < k; c++) {
                    s += (double) x[i * k + c] * w[r * k + c];
                }
                double d = y[i * n + r] - s;
                err += d * d;
                norm += s * s;
            }
        }
        return Math.sqrt(err / norm);
    }

    private static void check(WeightMatrix base, float[] w, int n, int k, double tolerance, String path) {
        OneDnnMatrix matrix = OneDnnMatrices.wrap(base, pool, 1).orElseThrow();
        assertEquals(path, matrix.path());
        Random r = new Random(11);
        for (int m : new int[] {1, 7, 64}) {
            float[] x = random(r, m * k + 5, 1.0);
            float[] y = new float[m * n + 3];
            matrix.matmulOneDnn(pool, x, 5, m, y, 3);
            float[] xs = java.util.Arrays.copyOfRange(x, 5, 5 + m * k);
            float[] ys = java.util.Arrays.copyOfRange(y, 3, 3 + m * n);
            double e = relativeError(xs, w, m, n, k, ys);
            assertTrue(e <= tolerance, path + " m=" + m + ": relative Frobenius error " + e + " > " + tolerance
                    + " (" + matrix.implementation(m) + ")");
            assertEquals(0f, y[0], "wrote before yOff");
        }
    }

    @Test
    void bf16MatchesFloat64Reference() {
        int n = 96, k = 320;
        float[] w = random(new Random(1), n * k, 0.05);
        TensorMatrix bf16 = TensorMatrix.of(Quantize.quantize(arena, "w", GgmlType.BF16, w, 0, n, k));
        check(bf16, w, n, k, 1e-2, "bf16");
    }

    @Test
    void dynamicInt8MatchesFloat64Reference() {
        int n = 80, k = 256;
        float[] w = random(new Random(2), n * k, 0.05);
        WeightMatrix int8 = new Int8Format().quantize("w", w, n, k, io.isthmus.runtime.config.FormatSpec.parse("int8"), null, arena);
        check(int8, w, n, k, 2e-2, "int8");
    }

    @Test
    void belowMinRowsTheVectorPathRuns() {
        int n = 32, k = 64;
        float[] w = random(new Random(3), n * k, 0.05);
        TensorMatrix bf16 = TensorMatrix.of(Quantize.quantize(arena, "w", GgmlType.BF16, w, 0, n, k));
        OneDnnMatrix matrix = OneDnnMatrices.wrap(bf16, pool, 16).orElseThrow();
        float[] x = random(new Random(4), 16 * k, 1);
        float[] y = new float[16 * n];
        assertEquals(false, matrix.matmulWhole(pool, x, 0, 15, y, 0));
        assertEquals(true, matrix.matmulWhole(pool, x, 0, 16, y, 0));
    }
}
