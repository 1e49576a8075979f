package io.isthmus.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.quant.FormatTarget;
import io.isthmus.runtime.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Staged x keeps its values, and products through {@link Linear} (staged) equal the same products on x where it lies. */
class AlignedFloatsTest {

    @Test
    void stagingCopiesTheFloatsToAnIndexWithinTheSlack() {
        Random rnd = new Random(1);
        for (int n : new int[] {1, 15, 16, 17, 1000, 5000, 3}) {
            float[] x = Reference.gaussian(rnd, n + 7, 1);
            AlignedFloats.Span s = AlignedFloats.stage(x, 7, n);
            assertTrue(s.offset() >= 0 && s.offset() <= AlignedFloats.SLACK, "offset " + s.offset());
            assertArrayEquals(Arrays.copyOfRange(x, 7, 7 + n), Arrays.copyOfRange(s.array(), s.offset(), s.offset() + n));
            int first = AlignedFloats.firstAligned(s.array());
            assertTrue(first >= 0 && first <= AlignedFloats.SLACK, "first aligned index " + first);
        }
    }

    /**
     * Every kernel sums in an order that does not depend on where x lies, so a product through
     * Linear (x staged, prepared copies aligned) equals the same product on x as given. Equal to a
     * few ulps, not bit for bit: the Vector API may add a vector's lanes in a different order in
     * interpreted and in compiled code, and in a long test run the two products can meet the
     * kernel in different states (f16 k=300 m=4 once differed in the last bit, 0.2196734 against
     * 0.21967348, in a full-suite run).
     */
    @Test
    void productsThroughLinearEqualProductsOnUnstagedX() {
        Random rnd = new Random(2);
        try (Arena arena = Arena.ofShared(); ComputePool pool = new ComputePool(2)) {
            for (int k : new int[] {512, 300}) {
                int n = 37;
                float[] values = Reference.gaussian(rnd, n * k, 0.05);
                List<WeightMatrix> ws = List.of(
                        TensorMatrix.of(Quantize.quantize(arena, "w", GgmlType.F16, values, 0, n, k)),
                        RowGroupMatrix.of(Quantize.quantize(arena, "w", GgmlType.Q4_0, values, 0, n, k), arena),
                        packed("lut4", values, n, k, arena),
                        packed("nf4-g64", values, n, k, arena));
                for (WeightMatrix w : ws) {
                    if (w.cols() % w.columnGrain() != 0 && !(w instanceof TensorMatrix)) {
                        continue;
                    }
                    for (int m : new int[] {1, 4, 5}) {
                        float[] x = Reference.gaussian(rnd, 3 + m * k, 1);
                        float[] direct = new float[m * n];
                        w.matmul(x, 3, m, direct, 0, 0, n);
                        float[] xs = Arrays.copyOfRange(x, 3, x.length);
                        float[] staged = new float[m * n];
                        Linear.matmul(pool, w, xs, m, staged);
                        for (int i = 0; i < direct.length; i++) {
                            assertEquals(direct[i], staged[i], 1e-6f * Math.max(1f, Math.abs(direct[i])),
                                    w.format() + " k=" + k + " m=" + m + " at " + i);
                        }
                    }
                }
            }
        }
    }

    private static WeightMatrix packed(String spec, float[] values, int rows, int cols, Arena arena) {
        FormatTarget.Packed p = (FormatTarget.Packed) FormatTarget.of(FormatSpec.parse(spec));
        return p.family().quantize("w", values, rows, cols, p.spec(), null, arena);
    }
}
