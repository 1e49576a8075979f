package io.isthmus.runtime.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.kernel.Int4LaneMatrix;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.quant.PackedMatrix;
import io.isthmus.runtime.quant.PackedMatrixChecks;
import io.isthmus.runtime.quant.uniform.Int4Format;
import io.isthmus.runtime.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.util.EnumSet;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The types {@code -Disthmus.repack} names, and what binding for compute turns int4 matrices into. */
class RepackingTest {

    /**
     * An int4 matrix binds as {@link Int4LaneMatrix} holding the same weights, whose kernel matches the
     * scalar reference for every group size, odd shapes (partial groups and chunks) and slices.
     */
    @Test
    void int4MatricesBindInLanesWithTheSameWeights() {
        Random rnd = new Random(23);
        try (Arena arena = Arena.ofShared()) {
            for (String spec : new String[] {"int4-g32", "int4-g64", "int4-g128"}) {
                for (int[] shape : new int[][] {{13, 300}, {8, 4096}, {5, 136}}) {
                    int rows = shape[0], cols = shape[1];
                    float[] values = new float[rows * cols];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = (float) rnd.nextGaussian() * 0.02f + 0.003f;
                    }
                    PackedMatrix packed = new Int4Format().quantize("w", values, rows, cols, FormatSpec.parse(spec), null, arena);
                    WeightMatrix bound = Repacking.forCompute(packed, arena);
                    assertTrue(bound instanceof Int4LaneMatrix, spec + " binds as " + bound.getClass().getSimpleName());
                    String what = spec + " " + rows + "x" + cols;
                    assertEquals(packed.format(), bound.format(), what);
                    assertEquals(packed.formatBytes(), bound.formatBytes(), what);
                    PackedMatrixChecks.rowsMatch(packed, bound, what);
                    PackedMatrixChecks.kernelMatchesReference(bound, rnd);
                    PackedMatrixChecks.slicesMatch(bound, arena, rnd);
                }
            }
        }
    }

    @Test
    void trueMeansEveryRepackableTypeAndFalseMeansNone() {
        var all = EnumSet.of(GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K);
        assertEquals(all, Repacking.types("true"));
        assertEquals(all, Repacking.types(" TRUE "));
        assertTrue(Repacking.types("false").isEmpty());
    }

    @Test
    void aListNamesTheTypes() {
        assertEquals(EnumSet.of(GgmlType.Q4_K), Repacking.types("q4_k"));
        assertEquals(EnumSet.of(GgmlType.Q6_K), Repacking.types("q6_k"));
        assertEquals(EnumSet.of(GgmlType.F16, GgmlType.Q8_0), Repacking.types("f16,q8_0"));
        assertEquals(EnumSet.of(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K), Repacking.types("q8_0, Q4_0,q4_k"));
    }

    @Test
    void aTypeThatCannotBeRepackedIsAnErrorNamingIt() {
        var e = assertThrows(IllegalArgumentException.class, () -> Repacking.types("q8_0,bf16"));
        assertTrue(e.getMessage().contains("'bf16'") && e.getMessage().contains("q6_k") && e.getMessage().contains("f16"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Repacking.types("yes"));
        assertTrue(e.getMessage().contains("'yes'"), e.getMessage());
    }

    @Test
    void q4_KLanesAreAutoTrueOrFalse() {
        assertEquals(io.isthmus.runtime.kernel.VectorSettings.LANES < 16, Repacking.q4_kLanes("auto"));
        assertTrue(Repacking.q4_kLanes(" TRUE"));
        assertFalse(Repacking.q4_kLanes("false"));
        var e = assertThrows(IllegalArgumentException.class, () -> Repacking.q4_kLanes("on"));
        assertTrue(e.getMessage().contains("isthmus.q4_k.lanes") && e.getMessage().contains("'on'"), e.getMessage());
    }
}
