package io.isthmus.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.runtime.format.GgufFile;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import io.isthmus.runtime.testing.SharedFiles;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class MatMulKernelTest {

    private static final double TOLERANCE = 1e-5;
    private static final int[] KS = {172, 64, 256 + 32, 33, 1000};
    private static final int[] NS = {7, 173};
    private static final int[] MS = {1, 2, 3, 5, 8, 9, 10, 11}; // tiles of 4 x rows with 0-3 left; F16 in pairs of rows from 8

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    void kernelMatchesScalarReference(GgmlType type) {
        Random rnd = new Random(type.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            for (int k : KS) {
                for (int n : NS) {
                    Tensor w = Quantize.quantize(arena, "w", type, Reference.gaussian(rnd, n * k, 0.05), 0, n, k);
                    for (int m : MS) {
                        check(w, m, 0, n, rnd);
                        check(w, m, 3, Math.min(n, 5 + n / 2), rnd); // a row range
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q6_K"})
    void kQuantKernelMatchesScalarReference(GgmlType type) {
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofConfined()) {
            for (int k : new int[] {256, 512, 1024, 256 + 100}) { // the last one ends in a partial super-block
                for (int n : NS) {
                    Tensor w = KQuantBlocks.randomTensor(arena, type, n, k, rnd);
                    for (int m : new int[] {1, 2, 3, 4, 5, 8, 11}) {
                        check(w, m, 0, n, rnd);
                        check(w, m, 2, n - 1, rnd);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q6_K"})
    void kQuantKernelMatchesDequantizeOnRealWeights(GgmlType type) {
        Path p = SharedFiles.require("models/prose-llama-35m/prose-llama-35m-q4_k_m.gguf");
        Random rnd = new Random(3);
        try (GgufFile f = GgufFile.open(p)) {
            Tensor w = f.tensors().values().stream().filter(t -> t.type() == type).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + type + " tensor in " + p));
            int n = w.rows();
            for (int from : new int[] {0, n / 2, n - 5}) { // five rows at the start, middle and end
                Tensor rows = w.sliceRows(from, 5);
                for (int m : new int[] {1, 4, 5}) {
                    check(rows, m, 0, 5, rnd);
                }
            }
        }
    }

    /** The vector row decoders (dequantized tiles for oneDNN) give exactly the scalar dequantizer's floats. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void decodeRowEqualsTheScalarDequantizer(GgmlType type) {
        Random rnd = new Random(11);
        try (Arena arena = Arena.ofConfined()) {
            int[] ks = type == GgmlType.Q4_K || type == GgmlType.Q6_K ? new int[] {256, 1024, 256 + 100} : KS;
            for (int k : ks) {
                Tensor w = Quantize.supports(type) ? Quantize.quantize(arena, "w", type, Reference.gaussian(rnd, 9 * k, 0.05), 0, 9, k)
                        : KQuantBlocks.randomTensor(arena, type, 9, k, rnd);
                assertDecodesExactly(w);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q6_K"})
    void decodeRowEqualsTheScalarDequantizerOnRealWeights(GgmlType type) {
        Path p = SharedFiles.require("models/prose-llama-35m/prose-llama-35m-q4_k_m.gguf");
        try (GgufFile f = GgufFile.open(p)) {
            assertDecodesExactly(f.tensors().values().stream().filter(t -> t.type() == type).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + type + " tensor in " + p)));
        }
    }

    /**
     * F16 dots read x times 2^112; rows with values of 2^15 and more are scaled by less and their
     * results multiplied back, so they match the reference as closely as ordinary rows, and they
     * give the same floats as the same product with such a row divided by a power of two, then
     * multiplied back.
     */
    @Test
    void f16WithActivationsThatWouldOverflowOnceScaledMatchesReference() {
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofConfined()) {
            int k = 300, n = 37, m = 9; // two tiles of four x rows (row 4 in the second) and one row left
            Tensor w = Quantize.quantize(arena, "w", GgmlType.F16, Reference.gaussian(rnd, n * k, 0.05), 0, n, k);
            float[] x = Reference.gaussian(rnd, m * k, 1);
            x[k + 10] = 40000f;                 // row 1: just past 2^15
            x[3 * k + 7] = -3e30f;              // row 3: far past it
            for (int c = 0; c < k; c++) {
                x[4 * k + c] *= 0x1p20f;        // row 4: every value large
            }
            float[] y = new float[m * n];
            MatMulKernels.forType(GgmlType.F16).matmul(w, x, 0, m, y, 0, 0, n);
            double err = Reference.relativeError(y, 0, Reference.matmul(w, x, 0, m), m, n, 0, n);
            assertTrue(err < TOLERANCE, "relative error " + err);
            float[] small = x.clone(), ySmall = new float[m * n]; // the same product, row 4 scaled back down
            for (int c = 0; c < k; c++) {
                small[4 * k + c] = x[4 * k + c] * 0x1p-20f;
            }
            MatMulKernels.forType(GgmlType.F16).matmul(w, small, 0, m, ySmall, 0, 0, n);
            for (int r = 0; r < n; r++) {
                assertEquals(ySmall[4 * n + r] * 0x1p20f, y[4 * n + r], "row 4, output " + r + ": powers of two scale exactly");
            }
        }
    }

    private static void assertDecodesExactly(Tensor w) {
        TensorMatrix m = TensorMatrix.of(w);
        float[] want = new float[w.cols() + 3], got = new float[w.cols() + 3];
        for (int r = 0; r < w.rows(); r++) {
            m.dequantizeRow(r, want, 3);
            m.decodeRow(r, got, 3);
            assertArrayEquals(want, got, w.type() + " k=" + w.cols() + " row " + r);
        }
    }

    private static void check(Tensor w, int m, int rowFrom, int rowTo, Random rnd) {
        int k = w.cols(), n = w.rows();
        int xOff = 3, yOff = 5;
        float[] x = Reference.gaussian(rnd, xOff + m * k, 1);
        float[] y = new float[yOff + m * n + 2];
        Arrays.fill(y, Float.NaN);
        MatMulKernels.forType(w.type()).matmul(w, x, xOff, m, y, yOff, rowFrom, rowTo);
        double[] want = Reference.matmul(w, x, xOff, m);
        double err = Reference.relativeError(y, yOff, want, m, n, rowFrom, rowTo);
        String what = w.type() + " k=" + k + " n=" + n + " m=" + m + " rows " + rowFrom + ".." + rowTo;
        assertTrue(err < TOLERANCE, what + ": relative error " + err);
        for (int i = 0; i < y.length; i++) { // outside the slice nothing is written
            int rel = i - yOff, r = rel % n;
            boolean inside = rel >= 0 && rel < m * n && r >= rowFrom && r < rowTo;
            if (!inside) {
                assertTrue(Float.isNaN(y[i]), what + ": wrote y[" + i + "]");
            }
        }
    }

    @Test
    void linearSplitsRowsAcrossThePool() {
        Random rnd = new Random(1);
        try (Arena arena = Arena.ofShared(); ComputePool pool = new ComputePool(3)) { // workers read the weights
            for (GgmlType type : new GgmlType[] {GgmlType.Q8_0, GgmlType.F16, GgmlType.Q6_K}) {
                int n = 173, k = 256;
                Tensor w = type == GgmlType.Q6_K ? KQuantBlocks.randomTensor(arena, type, n, k, rnd)
                        : Quantize.quantize(arena, "w", type, Reference.gaussian(rnd, n * k, 0.05), 0, n, k);
                for (int m : new int[] {1, 4, 6}) {
                    float[] x = Reference.gaussian(rnd, m * k, 1);
                    float[] y = new float[m * n];
                    Linear.matmul(pool, w, x, m, y);
                    double err = Reference.relativeError(y, 0, Reference.matmul(w, x, 0, m), m, n, 0, n);
                    assertTrue(err < TOLERANCE, type + " m=" + m + ": " + err);
                }
            }
        }
    }

    @Test
    void wrongTypeAndBadRangesAreRejected() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Quantize.quantize(arena, "w", GgmlType.F16, new float[64], 0, 2, 32);
            float[] x = new float[32], y = new float[2];
            assertThrows(IllegalArgumentException.class,
                    () -> MatMulKernels.forType(GgmlType.Q8_0).matmul(w, x, 0, 1, y, 0, 0, 2));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> MatMulKernels.forType(GgmlType.F16).matmul(w, x, 0, 1, y, 0, 0, 3));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> MatMulKernels.forType(GgmlType.F16).matmul(w, x, 1, 1, y, 0, 0, 2));
            assertThrows(UnsupportedOperationException.class, () -> MatMulKernels.forType(GgmlType.Q5_K));
        }
    }

    @Test
    void q4_0UsesBothNibblesInGgmlOrder() {
        // one block: byte j = (j & 15) | (15 - j) << 4, d = 1 → element j = (j&15) - 8, element j+16 = 7 - j
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(18);
            seg.set(Dequantize.SHORT_LE, 0, Float.floatToFloat16(1f));
            for (int j = 0; j < 16; j++) {
                seg.set(ValueLayout.JAVA_BYTE, 2 + j, (byte) (j | (15 - j) << 4));
            }
            Tensor w = new Tensor("w", GgmlType.Q4_0, new long[] {32, 1}, seg);
            float[] row = new float[32];
            Dequantize.row(w, 0, row, 0);
            for (int j = 0; j < 16; j++) {
                assertEquals(j - 8, row[j]);
                assertEquals(7 - j, row[j + 16]);
            }
            for (int c = 0; c < 32; c++) { // a one-hot x picks out each element through the kernel
                float[] x = new float[32];
                x[c] = 1;
                float[] y = new float[1];
                MatMulKernels.forType(GgmlType.Q4_0).matmul(w, x, 0, 1, y, 0, 0, 1);
                assertEquals(row[c], y[0], "element " + c);
            }
        }
    }
}
