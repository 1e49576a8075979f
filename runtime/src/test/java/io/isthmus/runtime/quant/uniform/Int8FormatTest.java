package io.isthmus.runtime.quant.uniform;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.quant.PackedFormats;
import io.isthmus.runtime.quant.PackedMatrix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Int8FormatTest {
    private static final Arena ARENA = Arena.ofShared();
    private static final FormatSpec INT8 = FormatSpec.parse("int8");

    @AfterAll
    static void close() {
        ARENA.close();
    }

    private static float[] random(int count, long seed) {
        Random r = new Random(seed);
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void registeredUnderItsName() {
        assertTrue(PackedFormats.forSpec(INT8) instanceof Int8Format);
    }

    @Test
    void roundTripErrorIsWithinHalfAStepPerRow() {
        int rows = 7, cols = 100;
        float[] w = random(rows * cols, 1);
        PackedMatrix q = new Int8Format().quantize("t", w, rows, cols, INT8, null, ARENA);
        float[] back = q.dequantizeAll();
        for (int r = 0; r < rows; r++) {
            float max = 0;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, Math.abs(w[r * cols + c]));
            }
            for (int c = 0; c < cols; c++) {
                assertEquals(w[r * cols + c], back[r * cols + c], max / 127 / 2 * 1.0001, "row " + r + " col " + c);
            }
        }
        assertEquals("int8", q.format());
        assertEquals((long) rows * cols + 4L * rows, q.byteSize());
    }

    /** The vector kernel equals the dot products of the scalar dequantizer, for m = 1..9 (tiles of four and their tails) and a row length no vector divides. */
    @Test
    void kernelMatchesTheScalarDequantizer() {
        int rows = 19, cols = 101;
        PackedMatrix q = new Int8Format().quantize("t", random(rows * cols, 2), rows, cols, INT8, null, ARENA);
        float[] wq = q.dequantizeAll();
        for (int m = 1; m <= 9; m++) {
            float[] x = random(m * cols, 3 + m);
            float[] y = new float[m * rows];
            q.matmul(x, 0, m, y, 0, 0, rows);
            for (int i = 0; i < m; i++) {
                for (int r = 0; r < rows; r++) {
                    double s = 0;
                    for (int c = 0; c < cols; c++) {
                        s += (double) wq[r * cols + c] * x[i * cols + c];
                    }
                    assertEquals(s, y[i * rows + r], 1e-4 * Math.max(1, Math.abs(s)), "m=" + m + " i=" + i + " r=" + r);
                }
            }
        }
    }

    @Test
    void slicesAndPartsReadBackTheSameValues() {
        int rows = 12, cols = 40;
        Int8Format f = new Int8Format();
        PackedMatrix q = f.quantize("t", random(rows * cols, 4), rows, cols, INT8, null, ARENA);
        float[] all = q.dequantizeAll();
        WeightMatrix r = q.sliceRows(3, 5);
        float[] row = new float[cols];
        r.dequantizeRow(2, row, 0);
        assertArrayEquals(java.util.Arrays.copyOfRange(all, 5 * cols, 6 * cols), row);
        WeightMatrix c = q.sliceColumns(8, 16, ARENA);
        float[] part = new float[16];
        c.dequantizeRow(4, part, 0);
        assertArrayEquals(java.util.Arrays.copyOfRange(all, 4 * cols + 8, 4 * cols + 24), part);
        PackedMatrix back = f.read("t", rows, cols, INT8, q.parts());
        assertArrayEquals(all, back.dequantizeAll());
        assertSame(q.parts().get("codes"), back.parts().get("codes"));
    }

    @Test
    void groupsAndSparseAreRefusedWithTheSpec() {
        Int8Format f = new Int8Format();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> f.resolve(FormatSpec.parse("int8-g64")))
                .getMessage().contains("int8-g64"));
        assertThrows(IllegalArgumentException.class, () -> f.resolve(FormatSpec.parse("int8+sparse")));
    }
}
