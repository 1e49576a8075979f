package io.isthmus.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.Linear;
import io.isthmus.runtime.kernel.Reference;
import io.isthmus.runtime.kernel.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * int4, nf4, nf3 and fp6: each kernel against its scalar dequantize-then-matmul reference (double
 * precision) on odd shapes, row ranges and tensor-parallel slices; parts read back to the same
 * matrix; round-to-nearest errors of the expected size.
 */
class LowBitFormatsTest {

    static final double TOLERANCE = 1e-5;
    static final String[] SPECS = {"int4-g32", "int4-g64", "int4-g128", "nf4-g32", "nf4-g64", "nf4-g256",
            "nf3-g64", "nf3-g128", "fp6"};
    private static final int[] COLS = {172, 128, 288, 1000, 16, 5};
    private static final int[] ROWS = {37, 7};
    private static final int[] MS = {1, 2, 3, 4, 5, 8};

    static PackedMatrix quantize(String spec, float[] w, int rows, int cols, Calibration calibration, Arena arena) {
        FormatSpec s = FormatSpec.parse(spec);
        PackedFormat f = PackedFormats.forSpec(s);
        assertTrue(f != null, spec + " is not registered");
        return f.quantize("w", w, rows, cols, s, calibration, arena);
    }

    @ParameterizedTest
    @ValueSource(strings = {"int4-g32", "int4-g64", "int4-g128", "nf4-g32", "nf4-g64", "nf4-g256",
            "nf3-g64", "nf3-g128", "fp6"})
    void kernelMatchesScalarReference(String spec) {
        Random rnd = new Random(spec.hashCode());
        try (Arena arena = Arena.ofConfined()) {
            for (int k : COLS) {
                for (int n : ROWS) {
                    PackedMatrix w = quantize(spec, Reference.gaussian(rnd, n * k, 0.05), n, k, null, arena);
                    for (int m : MS) {
                        PackedMatrixChecks.check(w, m, 0, n, rnd, spec);
                        PackedMatrixChecks.check(w, m, 3, Math.min(n, 5 + n / 2), rnd, spec);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"int4-g32", "int4-g128", "nf4-g64", "nf3-g64", "fp6"})
    void slicesForTensorParallelism(String spec) {
        Random rnd = new Random(11);
        try (Arena arena = Arena.ofConfined()) {
            for (int k : new int[] {512, 172, 1000}) {
                int n = 37;
                PackedMatrix w = quantize(spec, Reference.gaussian(rnd, n * k, 0.05), n, k, null, arena);
                float[] all = w.dequantizeAll();
                for (int ranks : new int[] {2, 3, 4}) {
                    int grain = w.columnGrain();
                    int per = Math.ceilDiv(Math.ceilDiv(k, grain), ranks) * grain; // group-aligned shares, the last one shorter
                    for (int from = 0; from < k; from += per) {
                        int count = Math.min(per, k - from);
                        WeightMatrix cols = w.sliceColumns(from, count, arena);
                        assertEquals(count, cols.cols());
                        assertSliceValues(all, k, 0, from, cols, spec + " columns " + from + "+" + count);
                        for (int m : MS) {
                            PackedMatrixChecks.check(cols, m, 0, n, rnd, spec + " columns " + from + "+" + count);
                        }
                    }
                    int rowsPer = Math.ceilDiv(n, ranks);
                    for (int from = 0; from < n; from += rowsPer) {
                        int count = Math.min(rowsPer, n - from);
                        WeightMatrix rows = w.sliceRows(from, count);
                        assertSliceValues(all, k, from, 0, rows, spec + " rows " + from + "+" + count);
                        for (int m : MS) {
                            PackedMatrixChecks.check(rows, m, 0, count, rnd, spec + " rows " + from + "+" + count);
                        }
                    }
                }
                if (w.columnGrain() > 1) {
                    int g = w.columnGrain();
                    assertThrows(IllegalArgumentException.class, () -> w.sliceColumns(g / 2, Math.min(g, k - g / 2), arena));
                }
            }
        }
    }

    @Test
    void columnSliceOfARowSlice() {
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofConfined()) {
            for (String spec : SPECS) {
                int n = 20, k = 1000;
                PackedMatrix w = quantize(spec, Reference.gaussian(rnd, n * k, 0.05), n, k, null, arena);
                int g = Math.max(w.columnGrain(), 32); // fp6 slices anywhere: take 32
                WeightMatrix part = w.sliceRows(4, 9).sliceColumns(g, k - g, arena); // to the partial last group
                float[] all = w.dequantizeAll();
                float[] got = part.dequantizeAll();
                for (int r = 0; r < 9; r++) {
                    for (int c = 0; c < k - g; c++) {
                        assertEquals(all[(r + 4) * k + g + c], got[r * (k - g) + c], spec + " (" + r + ", " + c + ")");
                    }
                }
                PackedMatrixChecks.check(part, 5, 0, 9, rnd, spec);
            }
        }
    }

    @Test
    void partsReadBackToTheSameMatrix() {
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofConfined()) {
            for (String spec : SPECS) {
                int n = 9, k = 300;
                PackedMatrix w = quantize(spec, Reference.gaussian(rnd, n * k, 0.05), n, k, null, arena);
                Map<String, MemorySegment> copies = new HashMap<>();
                long bytes = 0;
                for (var e : w.parts().entrySet()) { // as a file would hold them: plain bytes elsewhere
                    MemorySegment copy = arena.allocate(e.getValue().byteSize(), 1);
                    copy.copyFrom(e.getValue());
                    copies.put(e.getKey(), copy);
                    bytes += copy.byteSize();
                }
                assertEquals(w.byteSize(), bytes, spec + ": byteSize counts the parts");
                PackedFormat f = PackedFormats.forSpec(w.spec());
                PackedMatrix back = f.read("w", n, k, w.spec(), copies);
                assertEquals(w.spec(), back.spec());
                assertArrayEquals(w.dequantizeAll(), back.dequantizeAll(), spec);
                PackedMatrixChecks.check(back, 4, 0, n, rnd, spec + " read back");
                String part = copies.keySet().iterator().next();
                copies.put(part, copies.get(part).asSlice(1));
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> f.read("blk.0.ffn_up.weight", n, k, w.spec(), copies));
                assertTrue(e.getMessage().contains("blk.0.ffn_up.weight") && e.getMessage().contains(part), e.getMessage());
                copies.remove(part);
                e = assertThrows(IllegalArgumentException.class, () -> f.read("t", n, k, w.spec(), copies));
                assertTrue(e.getMessage().contains("missing part '" + part + "'"), e.getMessage());
            }
        }
    }

    @Test
    void roundToNearestErrorsHaveTheExpectedSize() {
        Random rnd = new Random(8);
        int n = 64, k = 1024;
        float[] w = Reference.gaussian(rnd, n * k, 0.02);
        Map<String, Double> bound = Map.of("int4-g128", 0.12, "int4-g32", 0.09, "nf4-g64", 0.11, "nf3-g64", 0.21, "fp6", 0.07);
        Map<String, Double> err = new HashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            for (var e : bound.entrySet()) {
                float[] back = quantize(e.getKey(), w, n, k, null, arena).dequantizeAll();
                double num = 0, den = 0;
                for (int i = 0; i < w.length; i++) {
                    num += (w[i] - back[i]) * (double) (w[i] - back[i]);
                    den += w[i] * (double) w[i];
                }
                err.put(e.getKey(), Math.sqrt(num / den));
                assertTrue(err.get(e.getKey()) < e.getValue(), e.getKey() + ": relative RMS error " + err.get(e.getKey()));
            }
        }
        assertTrue(err.get("int4-g32") < err.get("int4-g128"), err.toString());
        assertTrue(err.get("nf4-g64") < err.get("nf3-g64"), err.toString());
        System.out.println("relative RMS quantization error of N(0, 0.02) weights: " + err);
    }

    @Test
    void specsResolveWithDefaultsAndRefuseWhatAFamilyDoesNotTake() {
        assertEquals("int4-g128", resolve("int4"));
        assertEquals("int4-g32", resolve("int4-g32"));
        assertEquals("nf4-g64", resolve("nf4"));
        assertEquals("nf3-g256", resolve("nf3-g256"));
        assertEquals("fp6", resolve("fp6"));
        // +sparse composes with any family (the registry wraps it in SparseFormat), with the default fraction
        assertEquals("nf3-g64+sparse0.45", resolve("nf3+sparse"));
        assertEquals("fp6+sparse0.1", resolve("fp6+sparse0.1"));
        for (String bad : new String[] {"int4-g256", "int4-g48", "nf4-g16", "nf4-g512", "fp6-g64"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> resolve(bad), bad);
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
    }

    @Test
    void poolSplitsRowsOfPackedMatrices() {
        Random rnd = new Random(2);
        try (Arena arena = Arena.ofShared(); ComputePool pool = new ComputePool(3)) {
            for (String spec : SPECS) {
                int n = 173, k = 256;
                PackedMatrix w = quantize(spec, Reference.gaussian(rnd, n * k, 0.05), n, k, null, arena);
                for (int m : new int[] {1, 4, 6}) {
                    float[] x = Reference.gaussian(rnd, m * k, 1);
                    float[] y = new float[m * n];
                    Linear.matmul(pool, w, x, m, y);
                    double err = Reference.relativeError(y, 0, Reference.matmul(w, x, 0, m), m, n, 0, n);
                    assertTrue(err < TOLERANCE, spec + " m=" + m + ": " + err);
                }
            }
        }
    }

    private static String resolve(String spec) {
        FormatSpec s = FormatSpec.parse(spec);
        return PackedFormats.forSpec(s).resolve(s).spec();
    }

    private static void assertSliceValues(float[] all, int k, int row0, int col0, WeightMatrix slice, String what) {
        float[] got = slice.dequantizeAll();
        for (int r = 0; r < slice.rows(); r++) {
            for (int c = 0; c < slice.cols(); c++) {
                if (all[(row0 + r) * k + col0 + c] != got[r * slice.cols() + c]) {
                    throw new AssertionError(what + ": (" + r + ", " + c + ") is " + got[r * slice.cols() + c]
                            + ", the whole matrix has " + all[(row0 + r) * k + col0 + c]);
                }
            }
        }
    }
}
