package io.isthmus.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Q8_0RepackedTest {

    private static final double TOLERANCE = 1e-5;
    private static final int[] KS = {172, 64, 256 + 32, 33, 1000, 512};
    private static final int[] NS = {7, 173, 16};
    private static final int[] MS = {1, 2, 3, 4, 5, 8};

    @Test
    void productsMatchTheScalarReferenceForOddShapesAndRowRanges() {
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofConfined()) {
            for (int k : KS) {
                for (int n : NS) {
                    Tensor t = Quantize.quantize(arena, "w", GgmlType.Q8_0, Reference.gaussian(rnd, n * k, 0.05), 0, n, k);
                    Q8_0Repacked w = Q8_0Repacked.of(t, arena);
                    for (int m : MS) {
                        check(w, t, m, 0, n, rnd);
                        check(w, t, m, 1, n - 1, rnd); // ranges whose ends are not multiples of four
                        check(w, t, m, 3, Math.min(n, 5 + n / 2), rnd);
                    }
                }
            }
        }
    }

    @Test
    void holdsTheSameValuesAndBytesAsTheGgufTensor() {
        Random rnd = new Random(6);
        try (Arena arena = Arena.ofConfined()) {
            for (int k : KS) {
                Tensor t = Quantize.quantize(arena, "w", GgmlType.Q8_0, Reference.gaussian(rnd, 9 * k, 0.05), 0, 9, k);
                Q8_0Repacked w = Q8_0Repacked.of(t, arena);
                assertEquals(t.byteSize(), w.byteSize());
                assertEquals("q8_0", w.format());
                TensorMatrix plain = TensorMatrix.of(t);
                float[] want = new float[k + 3], scalar = new float[k + 3], vector = new float[k + 3];
                for (int r = 0; r < 9; r++) {
                    plain.dequantizeRow(r, want, 3);
                    w.dequantizeRow(r, scalar, 3);
                    w.decodeRow(r, vector, 3);
                    assertArrayEquals(want, scalar, "k=" + k + " row " + r);
                    assertArrayEquals(want, vector, "k=" + k + " row " + r);
                }
            }
        }
    }

    @Test
    void slicesHoldTheSlicedValues() {
        Random rnd = new Random(8);
        try (Arena arena = Arena.ofConfined()) {
            int n = 11, k = 32 * 5 + 12; // a partial last block
            Tensor t = Quantize.quantize(arena, "w", GgmlType.Q8_0, Reference.gaussian(rnd, n * k, 0.05), 0, n, k);
            Q8_0Repacked w = Q8_0Repacked.of(t, arena);
            float[] all = w.dequantizeAll();
            for (int[] r : new int[][] {{3, 6}, {4, 7}, {8, 3}}) { // a copy (not a group's start), views
                WeightMatrix rows = w.sliceRows(r[0], r[1]);
                assertArrayEquals(Arrays.copyOfRange(all, r[0] * k, (r[0] + r[1]) * k), rows.dequantizeAll());
                float[] x = Reference.gaussian(rnd, k, 1);
                float[] y = new float[r[1]];
                rows.matmul(x, 0, 1, y, 0, 0, r[1]);
                double err = Reference.relativeError(y, 0, Reference.matmul(t.sliceRows(r[0], r[1]), x, 0, 1), 1, r[1], 0, r[1]);
                assertTrue(err < TOLERANCE, "rows " + r[0] + "+" + r[1] + ": " + err);
            }
            for (int[] cols : new int[][] {{0, 64}, {64, k - 64}, {128, k - 128}}) {
                WeightMatrix c = w.sliceColumns(cols[0], cols[1], arena);
                float[] got = c.dequantizeAll();
                for (int r = 0; r < n; r++) {
                    assertArrayEquals(Arrays.copyOfRange(all, r * k + cols[0], r * k + cols[0] + cols[1]),
                            Arrays.copyOfRange(got, r * cols[1], (r + 1) * cols[1]), "columns " + cols[0] + "+" + cols[1]);
                }
                float[] x = Reference.gaussian(rnd, cols[1], 1);
                float[] y = new float[n];
                c.matmul(x, 0, 1, y, 0, 0, n);
                TensorMatrix plain = TensorMatrix.of(t).sliceColumns(cols[0], cols[1], arena);
                double err = Reference.relativeError(y, 0, Reference.matmul(plain.tensor(), x, 0, 1), 1, n, 0, n);
                assertTrue(err < TOLERANCE, "columns " + cols[0] + "+" + cols[1] + ": " + err);
            }
            assertThrows(IllegalArgumentException.class, () -> w.sliceColumns(16, 32, arena));
            assertThrows(IllegalArgumentException.class, () -> Q8_0Repacked.of(
                    Quantize.quantize(arena, "f", GgmlType.F16, new float[64], 0, 2, 32), arena));
        }
    }

    private static void check(Q8_0Repacked w, Tensor t, int m, int rowFrom, int rowTo, Random rnd) {
        int k = w.cols(), n = w.rows();
        int xOff = 3, yOff = 5;
        float[] x = Reference.gaussian(rnd, xOff + m * k, 1);
        float[] y = new float[yOff + m * n + 2];
        Arrays.fill(y, Float.NaN);
        w.matmul(x, xOff, m, y, yOff, rowFrom, rowTo);
        double err = Reference.relativeError(y, yOff, Reference.matmul(t, x, xOff, m), m, n, rowFrom, rowTo);
        String what = "k=" + k + " n=" + n + " m=" + m + " rows " + rowFrom + ".." + rowTo;
        assertTrue(err < TOLERANCE, what + ": relative error " + err);
        for (int i = 0; i < y.length; i++) { // outside the range nothing is written
            int rel = i - yOff, r = rel % n;
            boolean inside = rel >= 0 && rel < m * n && r >= rowFrom && r < rowTo;
            if (!inside) {
                assertTrue(Float.isNaN(y[i]), what + ": wrote y[" + i + "]");
            }
        }
    }
}
