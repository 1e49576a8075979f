package io.isthmus.runtime.quant.fp6;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.quant.packing.CodePlanes;
import io.isthmus.runtime.quant.packing.GroupScales;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

/** The e3m2 values, rounding to them, and the kernel's bit-shift decode of every code. */
class E3M2Test {

    @Test
    void valuesFollowE3M2WithBias3AndSubnormals() {
        assertEquals(0f, E3M2.value(0));
        assertEquals(1f / 16, E3M2.value(0b000001)); // subnormal: m/4 · 2^(1−3)
        assertEquals(3f / 16, E3M2.value(0b000011));
        assertEquals(0.25f, E3M2.value(0b000100)); // e = 1: 2^(1−3)
        assertEquals(1f, E3M2.value(0b001100)); // e = 3
        assertEquals(1.5f, E3M2.value(0b001110));
        assertEquals(28f, E3M2.value(0b011111)); // the largest: 1.75 · 2^4
        assertEquals(-28f, E3M2.value(0b111111));
        assertEquals(-0.25f, E3M2.value(0b100100));
    }

    @Test
    void roundsToTheNearestValue() {
        assertEquals(0b011111, E3M2.nearest(100f));
        assertEquals(0b111111, E3M2.nearest(-29f));
        assertEquals(0, E3M2.nearest(-0.03f)); // 0.03 from zero, 0.0325 from -1/16
        assertEquals(0b100001, E3M2.nearest(-0.04f));
        assertEquals(0b001101, E3M2.nearest(1.2f)); // 1.25
        assertEquals(0b010111, E3M2.nearest(7.4f)); // 7 (e = 5, m = 3)
    }

    @Test
    void theKernelDecodesEveryCodeLikeTheScalarPath() {
        try (Arena arena = Arena.ofConfined()) {
            for (int cols : new int[] {128, 64 + 16 + 5}) { // whole chunks; a partial chunk with a scalar tail
                int rows = 2;
                CodePlanes codes = CodePlanes.allocate(rows, cols, Fp6Matrix.WIDTHS, arena);
                GroupScales scales = GroupScales.zeros(rows, 1);
                for (int r = 0; r < rows; r++) {
                    int[] row = new int[cols];
                    for (int c = 0; c < cols; c++) {
                        row[c] = (c * 5 + r * 37) % E3M2.CODES; // every code in each row of 128
                    }
                    codes.setRow(r, row);
                    scales.set(r, 0, r == 0 ? 1f : 0.5f);
                }
                Fp6Matrix w = new Fp6Matrix("w", FormatSpec.parse("fp6"), codes, scales);
                for (int c = 0; c < cols; c++) {
                    for (int m : new int[] {1, 4}) {
                        float[] x = new float[m * cols];
                        for (int i = 0; i < m; i++) {
                            x[i * cols + c] = i + 1; // one-hot, scaled per x row
                        }
                        float[] y = new float[m * rows];
                        w.matmul(x, 0, m, y, 0, 0, rows);
                        for (int r = 0; r < rows; r++) {
                            float want = E3M2.value(codes.code(r, c)) * scales.get(r, 0);
                            for (int i = 0; i < m; i++) {
                                assertEquals(want * (i + 1), y[i * rows + r], 0f, "cols " + cols + " row " + r + " col " + c + " m " + m);
                            }
                        }
                    }
                }
            }
        }
    }
}
