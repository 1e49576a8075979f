package io.isthmus.runtime.quant.sparse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.runtime.kernel.Reference;
import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.quant.Calibration;
import io.isthmus.runtime.quant.PackedFormats;
import io.isthmus.runtime.quant.PackedMatrix;
import io.isthmus.runtime.quant.PackedMatrixChecks;
import io.isthmus.runtime.quant.codebook.LutFormat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SparseFormatTest {

    private static final SparseFormat GRID_SPARSE = new SparseFormat(new GridFormat());

    private static Calibration sensitivities(float[] s) {
        return new Calibration() {
            @Override
            public float[] sensitivity(String tensorName) {
                return s;
            }

            @Override
            public float[] sampleInputs(String tensorName) {
                return null;
            }
        };
    }

    private static SparseMatrix grid(String spec, float[] w, int n, int k, Calibration cal, Arena arena) {
        return (SparseMatrix) GRID_SPARSE.quantize("blk.1.ffn_up.weight", w, n, k, FormatSpec.parse(spec), cal, arena);
    }

    @Test
    void wrapsAnyFamilyAndItsKernelSlicesAndPartsHold() {
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofConfined()) {
            for (int k : new int[] {172, 33, 256}) {
                for (int n : new int[] {37, 7}) {
                    SparseMatrix w = grid("grid+sparse0.5", Reference.gaussian(rnd, n * k, 0.05), n, k, null, arena);
                    PackedMatrixChecks.kernelMatchesReference(w, rnd);
                    PackedMatrixChecks.slicesMatch(w, arena, rnd);
                    PackedMatrixChecks.roundTrip(GRID_SPARSE, w);
                    PackedMatrixChecks.roundTrip(GRID_SPARSE, w.sliceRows(n / 3, n / 2)); // compact parts of a slice
                    PackedMatrixChecks.roundTrip(GRID_SPARSE, w.sliceColumns(k / 2, k - k / 2, arena));
                }
            }
        }
    }

    @Test
    void outliersAreTheLargestAndAreReproducedExactly() {
        Random rnd = new Random(4);
        int n = 40, k = 250;
        float[] w = Reference.gaussian(rnd, n * k, 1);
        try (Arena arena = Arena.ofConfined()) {
            SparseMatrix m = grid("grid+sparse0.3", w, n, k, null, arena);
            assertEquals(Math.round(0.003 * n * k), m.outliers().nonZeros());
            float[] got = m.dequantizeAll();
            float[] dense = m.dense().dequantizeAll();
            float smallestKept = Float.MAX_VALUE, largestLeft = 0;
            for (int i = 0; i < n * k; i++) {
                boolean kept = isOutlier(m, i / k, i % k);
                if (kept) {
                    assertEquals(w[i], got[i], "outlier at " + i + " not exact");
                    assertEquals(0, dense[i], "grid sees zero at an outlier, at " + i);
                    smallestKept = Math.min(smallestKept, Math.abs(w[i]));
                } else {
                    largestLeft = Math.max(largestLeft, Math.abs(w[i]));
                }
            }
            assertTrue(smallestKept >= largestLeft, smallestKept + " kept, " + largestLeft + " left");
        }
    }

    @Test
    void sensitivityWeighsTheChoice() {
        Random rnd = new Random(5);
        int n = 30, k = 100;
        float[] w = Reference.gaussian(rnd, n * k, 1);
        float[] s = new float[k];
        java.util.Arrays.fill(s, 1);
        s[17] = 1e6f; // every weight of input column 17 matters most
        try (Arena arena = Arena.ofConfined()) {
            SparseMatrix m = grid("grid+sparse0.5", w, n, k, sensitivities(s), arena); // 15 outliers
            assertEquals(15, m.outliers().nonZeros());
            int inColumn = 0;
            for (int r = 0; r < n; r++) {
                inColumn += isOutlier(m, r, 17) ? 1 : 0;
            }
            assertEquals(15, inColumn, "all outliers should be in the sensitive column");
        }
    }

    @Test
    void lutOutliersStayOutOfTheCodebookAndDecodeToTheCentroidNearestZero() {
        Random rnd = new Random(6);
        int n = 12, k = 512;
        float[] w = Reference.gaussian(rnd, n * k, 0.02);
        for (int r = 0; r < n; r++) {
            w[r * k + 7 * r] = 5; // one huge value per row, far beyond the others
        }
        try (Arena arena = Arena.ofConfined()) {
            for (String name : new String[] {"lut3", "lut4"}) {
                FormatSpec spec = FormatSpec.parse(name + "+sparse0.2");
                SparseMatrix m = (SparseMatrix) PackedFormats.forSpec(spec).quantize("t", w, n, k, spec, null, arena);
                float[] got = m.dequantizeAll();
                MemorySegment lut = m.dense().parts().get("lut");
                int levels = name.equals("lut3") ? 8 : 16;
                for (int r = 0; r < n; r++) {
                    float nearestZero = Float.MAX_VALUE, largest = 0;
                    for (int j = 0; j < levels; j++) {
                        float v = lut.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), r * levels + j);
                        nearestZero = Math.abs(v) < Math.abs(nearestZero) ? v : nearestZero;
                        largest = Math.max(largest, Math.abs(v));
                    }
                    assertTrue(largest < 0.2f, name + " row " + r + ": the codebook reached " + largest + " for an outlier");
                    assertTrue(isOutlier(m, r, 7 * r), name + " row " + r + ": the huge value is not an outlier");
                    float[] dense = new float[k];
                    m.dense().dequantizeRow(r, dense, 0);
                    for (int c = 0; c < k; c++) {
                        if (isOutlier(m, r, c)) {
                            assertEquals(nearestZero, dense[c], name + " row " + r + " column " + c);
                            assertEquals(w[r * k + c], got[r * k + c], name + " row " + r + " column " + c + " not exact");
                        }
                    }
                }
            }
        }
    }

    @Test
    void specsAndPartsAreChecked() {
        FormatSpec ok = FormatSpec.parse("lut4+sparse");
        assertInstanceOf(SparseFormat.class, PackedFormats.forSpec(ok));
        assertEquals("lut4+sparse0.45", PackedFormats.forSpec(ok).resolve(ok).spec());
        for (String bad : new String[] {"lut4+sparse0.6", "lut4+sparse0.01"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PackedFormats.forSpec(FormatSpec.parse(bad)).resolve(FormatSpec.parse(bad)));
            assertTrue(e.getMessage().contains("0.05 to 0.5"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new SparseFormat(LutFormat.LUT4).resolve(FormatSpec.parse("lut4")));
        try (Arena arena = Arena.ofConfined()) {
            SparseMatrix m = grid("grid+sparse0.5", Reference.gaussian(new Random(7), 20 * 40, 1), 20, 40, null, arena);
            Map<String, MemorySegment> parts = new HashMap<>(m.parts());
            MemorySegment cols = MemorySegment.ofArray(new byte[(int) parts.get("csr.cols").byteSize()]);
            cols.copyFrom(parts.get("csr.cols"));
            cols.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, 40);
            parts.put("csr.cols", cols);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> GRID_SPARSE.read("blk.9.ffn_gate.weight", 20, 40, m.spec(), parts));
            assertTrue(e.getMessage().contains("blk.9.ffn_gate.weight") && e.getMessage().contains("csr.cols"), e.getMessage());
        }
    }

    /** Whether position (r, c) is kept in the CSR part. */
    private static boolean isOutlier(SparseMatrix m, int r, int c) {
        return m.outliers().sliceRows(r, 1).sliceColumns(c, 1).nonZeros() == 1;
    }
}
