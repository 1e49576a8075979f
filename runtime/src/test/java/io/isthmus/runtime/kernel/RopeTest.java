package io.isthmus.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class RopeTest {

    /** Direct formula, one dimension pair at a time, in double. */
    private static double[] expected(float[] v, int off, int nHeads, int headDim, int ropeDims, int pos,
                                     double theta, double scale, RopeStyle style) {
        double[] out = new double[nHeads * headDim];
        for (int h = 0; h < nHeads; h++) {
            for (int d = 0; d < headDim; d++) {
                out[h * headDim + d] = v[off + h * headDim + d];
            }
            for (int i = 0; i < ropeDims / 2; i++) {
                int a = style == RopeStyle.ADJACENT_PAIRS ? 2 * i : i;
                int b = style == RopeStyle.ADJACENT_PAIRS ? 2 * i + 1 : i + ropeDims / 2;
                double angle = pos * scale / Math.pow(theta, 2.0 * i / ropeDims);
                double x0 = v[off + h * headDim + a], x1 = v[off + h * headDim + b];
                out[h * headDim + a] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
                out[h * headDim + b] = x0 * Math.sin(angle) + x1 * Math.cos(angle);
            }
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(RopeStyle.class)
    void matchesDirectFormulaIncludingPartialRotary(RopeStyle style) {
        Random rnd = new Random(9);
        int nHeads = 3, headDim = 64, off = 5;
        RopeTable table = null;
        for (int ropeDims : new int[] {64, 32, 16, 2}) {
            for (double theta : new double[] {10_000, 500_000}) {
                table = new RopeTable(300, ropeDims, theta, 0.5);
                for (int pos : new int[] {0, 1, 17, 299}) {
                    float[] v = Reference.gaussian(rnd, off + nHeads * headDim, 1);
                    double[] want = expected(v, off, nHeads, headDim, ropeDims, pos, theta, 0.5, style);
                    float[] direct = v.clone();
                    Rope.rope(direct, off, nHeads, headDim, ropeDims, pos, theta, 0.5, style);
                    float[] tabled = v.clone();
                    table.apply(tabled, off, nHeads, headDim, pos, style);
                    for (int i = 0; i < nHeads * headDim; i++) {
                        String what = style + " dims " + ropeDims + " pos " + pos + " [" + i + "]";
                        assertEquals(want[i], direct[off + i], 1e-5, what);
                        assertEquals(direct[off + i], tabled[off + i], what + " (table)");
                    }
                    for (int i = 0; i < off; i++) {
                        assertEquals(v[i], direct[i]);
                    }
                }
            }
        }
        RopeTable t = table;
        assertThrows(IndexOutOfBoundsException.class, () -> t.apply(new float[64], 0, 1, 64, 300, style));
    }

    @Test
    void stylesDiffer() {
        float[] a = new float[8], b = new float[8];
        for (int i = 0; i < 8; i++) {
            a[i] = b[i] = i + 1;
        }
        Rope.rope(a, 0, 1, 8, 8, 3, 10000, 1, RopeStyle.ADJACENT_PAIRS);
        Rope.rope(b, 0, 1, 8, 8, 3, 10000, 1, RopeStyle.HALF_SPLIT);
        assertEquals(false, java.util.Arrays.equals(a, b));
        assertThrows(IllegalArgumentException.class, () -> Rope.rope(new float[8], 0, 1, 8, 9, 0, 1e4, 1, RopeStyle.HALF_SPLIT));
    }
}
