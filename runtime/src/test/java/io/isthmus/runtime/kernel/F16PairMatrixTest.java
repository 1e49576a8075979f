package io.isthmus.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.isthmus.runtime.quant.PackedMatrixChecks;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link F16PairMatrix} holds the GGUF tensor's values and passes the checks every packed format must. */
class F16PairMatrixTest {

    private static final int[] KS = {172, 64, 256 + 32, 33, 1000, 512, 5};
    private static final int[] NS = {7, 173, 16, 1};

    private static Tensor tensor(Arena arena, int rows, int cols, Random rnd) {
        return Quantize.quantize(arena, "w", GgmlType.F16, Reference.gaussian(rnd, rows * cols, 0.05), 0, rows, cols);
    }

    @Test
    void productsMatchTheScalarReferenceForOddShapesAndRowRanges() {
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofConfined()) {
            for (int k : KS) {
                for (int n : NS) {
                    Tensor t = tensor(arena, n, k, rnd);
                    F16PairMatrix w = F16PairMatrix.of(t, arena);
                    assertArrayEquals(TensorMatrix.of(t).dequantizeAll(), w.dequantizeAll()); // so w's reference is t's
                    for (int m : PackedMatrixChecks.MS) {
                        PackedMatrixChecks.check(w, m, 0, n, rnd, "f16 paired");
                        if (n > 2) {
                            PackedMatrixChecks.check(w, m, 1, n - 1, rnd, "f16 paired"); // starts inside a pair
                            PackedMatrixChecks.check(w, m, 3, Math.min(n, 6 + n / 2), rnd, "f16 paired");
                        }
                    }
                }
            }
        }
    }

    @Test
    void largeInputsAreScaledBackAsInGgufLayout() {
        Random rnd = new Random(9);
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = tensor(arena, 9, 100, rnd);
            F16PairMatrix w = F16PairMatrix.of(t, arena);
            for (int m : new int[] {1, 4}) {
                float[] x = Reference.gaussian(rnd, m * 100, 1);
                x[7] = 6e4f; // its row is scaled by less than 2^112 and multiplied back
                float[] got = new float[m * 9], want = new float[m * 9];
                w.matmul(x, 0, m, got, 0, 0, 9);
                TensorMatrix.of(t).matmul(x, 0, m, want, 0, 0, 9);
                assertArrayEquals(want, got, 1e-5f * 6e4f);
            }
        }
    }

    @Test
    void holdsTheSameValuesAsTheGgufTensorInPaddedPairs() {
        Random rnd = new Random(6);
        try (Arena arena = Arena.ofConfined()) {
            for (int k : KS) {
                Tensor t = tensor(arena, 9, k, rnd);
                F16PairMatrix w = F16PairMatrix.of(t, arena);
                int lanes = VectorSettings.LANES;
                assertEquals(5L * 2 * 2 * lanes * Math.ceilDiv(k, lanes), w.byteSize(), "five pairs of whole pieces");
                assertEquals(t.byteSize(), w.formatBytes(), "bits per weight are f16's");
                assertEquals("f16", w.format());
                PackedMatrixChecks.rowsMatch(TensorMatrix.of(t), w, "k=" + k);
            }
        }
    }

    @Test
    void slicesHoldTheSlicedValues() {
        Random rnd = new Random(8);
        try (Arena arena = Arena.ofConfined()) {
            int n = 11, k = 3 * VectorSettings.LANES + 5; // a partial last piece
            F16PairMatrix w = F16PairMatrix.of(tensor(arena, n, k, rnd), arena);
            PackedMatrixChecks.slicesMatch(w, arena, rnd); // rows from 3: a copy; columns cut inside a piece
            float[] all = w.dequantizeAll();
            for (int[] r : new int[][] {{4, 7}, {8, 3}, {2, 1}}) { // views, their last pair partial
                WeightMatrix rows = w.sliceRows(r[0], r[1]);
                assertArrayEquals(Arrays.copyOfRange(all, r[0] * k, (r[0] + r[1]) * k), rows.dequantizeAll());
                PackedMatrixChecks.kernelMatchesReference(rows, rnd);
            }
            WeightMatrix odd = w.sliceColumns(3, 17, arena);
            assertEquals(17, odd.cols());
            PackedMatrixChecks.kernelMatchesReference(odd, rnd);
            assertThrows(IllegalArgumentException.class, () -> F16PairMatrix.of(
                    Quantize.quantize(arena, "q", GgmlType.Q8_0, new float[64], 0, 2, 32), arena));
        }
    }
}
