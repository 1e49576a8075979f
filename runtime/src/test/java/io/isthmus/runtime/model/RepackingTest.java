package io.isthmus.runtime.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.runtime.tensor.GgmlType;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/** The types {@code -Disthmus.repack} names. */
class RepackingTest {

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
}
