package io.isthmus.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.runtime.quant.PackedMatrixChecks;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Int4LaneMatrix} holds a Q4_0 tensor's values, or codes with scales and minimums, and its
 * products match the scalar reference for odd shapes (partial groups, partial chunks of groups), row
 * ranges and slices.
 */
class Int4LaneMatrixTest {

    /** Columns: a partial group, a partial chunk of groups, whole chunks at 16 lanes, one lane. */
    private static final int[] KS = {172, 64, 256 + 32, 33, 1000, 512, 1024, 32 * 16 * 2 + 96};
    private static final int[] NS = {7, 173, 16};

    private static Tensor q4_0(Arena arena, int rows, int cols, Random rnd) {
        return Quantize.quantize(arena, "w", GgmlType.Q4_0, Reference.gaussian(rnd, rows * cols, 0.05), 0, rows, cols);
    }

    @Test
    void q4_0ProductsMatchTheScalarReferenceForOddShapesAndRowRanges() {
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofConfined()) {
            for (int k : KS) {
                for (int n : NS) {
                    Tensor t = q4_0(arena, n, k, rnd);
                    Int4LaneMatrix w = Int4LaneMatrix.ofQ4_0(t, arena);
                    assertArrayEquals(TensorMatrix.of(t).dequantizeAll(), w.dequantizeAll()); // so w's reference is t's
                    for (int m : PackedMatrixChecks.MS) {
                        PackedMatrixChecks.check(w, m, 0, n, rnd, "q4_0 lanes");
                        PackedMatrixChecks.check(w, m, 1, n - 1, rnd, "q4_0 lanes"); // range ends not multiples of four
                        PackedMatrixChecks.check(w, m, 3, Math.min(n, 5 + n / 2), rnd, "q4_0 lanes");
                    }
                }
            }
        }
    }

    @Test
    void q4_0HoldsTheGgufValuesAndCountsItsBytes() {
        Random rnd = new Random(6);
        try (Arena arena = Arena.ofConfined()) {
            for (int k : KS) {
                Tensor t = q4_0(arena, 9, k, rnd);
                Int4LaneMatrix w = Int4LaneMatrix.ofQ4_0(t, arena);
                assertEquals(t.byteSize(), w.byteSize(), "the same codes and scales as the GGUF blocks");
                assertEquals(t.byteSize(), w.formatBytes());
                assertEquals("q4_0", w.format());
                PackedMatrixChecks.rowsMatch(TensorMatrix.of(t), w, "k=" + k);
            }
        }
    }

    /** Columns of Q4_K: whole super-blocks, a partial last one, and 136 groups (a partial chunk at 16 lanes). */
    private static final int[] K_QUANT_KS = {256, 1024, 256 + 100, 256 * 17, 4096};

    @Test
    void q4_KHoldsTheGgufValuesAndItsProductsMatchTheScalarReference() {
        Random rnd = new Random(12);
        try (Arena arena = Arena.ofConfined()) {
            for (int k : K_QUANT_KS) {
                for (int n : NS) {
                    Tensor t = KQuantBlocks.randomTensor(arena, GgmlType.Q4_K, n, k, rnd);
                    Int4LaneMatrix w = Int4LaneMatrix.ofQ4_K(t, arena);
                    assertEquals("q4_k", w.format());
                    assertEquals(t.byteSize(), w.formatBytes());
                    if (k % 256 == 0) { // 3 bytes of scales a group of 32 against Q4_K's 2
                        assertEquals((long) n * (k / 2 + k / 32 * 3), w.byteSize(), "k=" + k);
                    }
                    // d·sc·q − dmin·m (GGUF's order) against fma(q, d·sc, −dmin·m): within a rounding of the row's scale
                    float[] want = TensorMatrix.of(t).dequantizeAll(), got = w.dequantizeAll();
                    for (int r = 0; r < n; r++) {
                        float rowMax = 0;
                        for (int c = 0; c < k; c++) {
                            rowMax = Math.max(rowMax, Math.abs(want[r * k + c]));
                        }
                        for (int c = 0; c < k; c++) {
                            assertEquals(want[r * k + c], got[r * k + c], 1e-6 * rowMax, "k=" + k + " (" + r + ", " + c + ")");
                        }
                    }
                    for (int m : PackedMatrixChecks.MS) {
                        PackedMatrixChecks.check(w, m, 0, n, rnd, "q4_k lanes");
                        PackedMatrixChecks.check(w, m, 1, n - 1, rnd, "q4_k lanes");
                        PackedMatrixChecks.check(w, m, 3, Math.min(n, 5 + n / 2), rnd, "q4_k lanes");
                    }
                }
            }
        }
    }

    /** Tensor-parallel slices of Q4_K: rows anywhere, columns at whole super-blocks only. */
    @Test
    void q4_KSlicesKeepTheirSuperBlocks() {
        Random rnd = new Random(13);
        try (Arena arena = Arena.ofConfined()) {
            for (int k : new int[] {1024, 256 * 5, 256 * 3 + 100}) {
                Int4LaneMatrix w = Int4LaneMatrix.ofQ4_K(KQuantBlocks.randomTensor(arena, GgmlType.Q4_K, 13, k, rnd), arena);
                assertEquals(256, w.columnGrain());
                PackedMatrixChecks.slicesMatch(w, arena, rnd);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.sliceColumns(32, 256, arena));
                assertTrue(e.getMessage().contains("groups of 256"), e.getMessage());
            }
            assertThrows(IllegalArgumentException.class, () -> Int4LaneMatrix.ofQ4_K(q4_0(arena, 2, 256, rnd), arena));
        }
    }

    /** Asymmetric groups (int4's w = q·scale + min) of every size, against their own scalar formula. */
    @ParameterizedTest
    @ValueSource(ints = {32, 64, 128})
    void groupsWithMinimumsMatchTheirFormula(int group) {
        Random rnd = new Random(group);
        try (Arena arena = Arena.ofConfined()) {
            for (int k : new int[] {group * 16 * 2, group * 3 + 7, group * 19, 1000}) {
                int n = 11;
                int[][] q = new int[n][k];
                short[][] s = new short[n][], mn = new short[n][];
                for (int r = 0; r < n; r++) {
                    s[r] = new short[Math.ceilDiv(k, group)];
                    mn[r] = new short[s[r].length];
                    for (int g = 0; g < s[r].length; g++) {
                        s[r][g] = Float.floatToFloat16((float) (0.01 + 0.02 * rnd.nextDouble()));
                        mn[r][g] = Float.floatToFloat16((float) (-0.2 * rnd.nextDouble()));
                    }
                    for (int c = 0; c < k; c++) {
                        q[r][c] = rnd.nextInt(16);
                    }
                }
                Int4LaneMatrix w = Int4LaneMatrix.pack("w", "int4-g" + group, n, k, group, 0, true, 0, source(q, s, mn), arena);
                float[] row = new float[k];
                w.dequantizeRow(5, row, 0);
                for (int c = 0; c < k; c++) {
                    float want = Math.fma(q[5][c], Float.float16ToFloat(s[5][c / group]), Float.float16ToFloat(mn[5][c / group]));
                    assertEquals(want, row[c], "column " + c);
                }
                PackedMatrixChecks.kernelMatchesReference(w, rnd);
                PackedMatrixChecks.slicesMatch(w, arena, rnd);
            }
        }
    }

    @Test
    void slicesHoldTheSlicedValues() {
        Random rnd = new Random(8);
        try (Arena arena = Arena.ofConfined()) {
            int n = 11, k = 32 * 21 + 12; // a partial chunk and a partial last group
            Int4LaneMatrix w = Int4LaneMatrix.ofQ4_0(q4_0(arena, n, k, rnd), arena);
            PackedMatrixChecks.slicesMatch(w, arena, rnd); // rows from 3: a copy, not a group's start
            float[] all = w.dequantizeAll();
            for (int[] r : new int[][] {{4, 7}, {8, 3}}) { // views, their last group partial
                WeightMatrix rows = w.sliceRows(r[0], r[1]);
                assertArrayEquals(Arrays.copyOfRange(all, r[0] * k, (r[0] + r[1]) * k), rows.dequantizeAll());
                PackedMatrixChecks.kernelMatchesReference(rows, rnd);
            }
            assertThrows(IllegalArgumentException.class, () -> w.sliceColumns(16, 32, arena));
            assertThrows(IllegalArgumentException.class, () -> Int4LaneMatrix.ofQ4_0(
                    Quantize.quantize(arena, "f", GgmlType.F16, new float[64], 0, 2, 32), arena));
        }
    }

    /** x of any magnitude: the headroom that keeps the rewritten x finite follows the largest |x|. */
    @Test
    void largeAndTinyInputsStayAccurate() {
        Random rnd = new Random(9);
        try (Arena arena = Arena.ofConfined()) {
            Int4LaneMatrix w = Int4LaneMatrix.ofQ4_0(q4_0(arena, 12, 1024, rnd), arena);
            for (float scale : new float[] {3e36f, 1e-30f, 1e-38f, 0f}) {
                float[] x = Reference.gaussian(rnd, 1024, 1);
                for (int i = 0; i < x.length; i++) {
                    x[i] *= scale;
                }
                float[] y = new float[12];
                w.matmul(x, 0, 1, y, 0, 0, 12);
                double err = Reference.relativeError(y, 0, Reference.matmul(w, x, 0, 1), 1, 12, 0, 12);
                assertTrue(scale == 0 ? Arrays.equals(y, new float[12]) : err < PackedMatrixChecks.TOLERANCE,
                        "x scaled by " + scale + ": relative error " + err + ", y " + Arrays.toString(y));
            }
        }
    }

    @Test
    void rejectsCodesWiderThanFourBits() {
        try (Arena arena = Arena.ofConfined()) {
            int[][] q = {{16, 0}};
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Int4LaneMatrix.pack("blk.0.w",
                    "int4-g32", 1, 2, 32, 0, true, 0, source(q, new short[][] {{0}}, new short[][] {{0}}), arena));
            assertTrue(e.getMessage().contains("blk.0.w") && e.getMessage().contains("(0, 0)"), e.getMessage());
        }
    }

    private static Int4LaneMatrix.Source source(int[][] q, short[][] s, short[][] mn) {
        return new Int4LaneMatrix.Source() {
            @Override
            public int code(int row, int col) {
                return q[row][col];
            }

            @Override
            public short scale(int row, int group) {
                return s[row][group];
            }

            @Override
            public short min(int row, int group) {
                return mn[row][group];
            }
        };
    }
}
