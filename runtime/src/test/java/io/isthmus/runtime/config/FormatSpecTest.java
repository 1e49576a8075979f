package io.isthmus.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalDouble;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class FormatSpecTest {

    @Test
    void parsesEachPartOfTheGrammar() {
        assertEquals(new FormatSpec("bf16", OptionalInt.empty(), false, OptionalDouble.empty()), FormatSpec.parse("bf16"));
        assertEquals(new FormatSpec("q8_0", OptionalInt.empty(), false, OptionalDouble.empty()), FormatSpec.parse("q8_0"));
        assertEquals(new FormatSpec("int4", OptionalInt.of(128), false, OptionalDouble.empty()), FormatSpec.parse("int4-g128"));
        assertEquals(new FormatSpec("lut4", OptionalInt.empty(), true, OptionalDouble.of(0.45)), FormatSpec.parse("lut4+sparse0.45"));
        assertEquals(new FormatSpec("lut3", OptionalInt.empty(), true, OptionalDouble.empty()), FormatSpec.parse("lut3+sparse"));
        FormatSpec all = FormatSpec.parse("nf4-g64+sparse0.5");
        assertEquals(OptionalInt.of(64), all.groupSize());
        assertTrue(all.sparse());
        assertFalse(FormatSpec.parse("nf4-g64").sparse());
    }

    @Test
    void specRoundTrips() {
        for (String spec : new String[] {"bf16", "int4-g128", "lut4+sparse0.45", "lut3+sparse", "nf4-g64+sparse2", "fp6"}) {
            assertEquals(spec, FormatSpec.parse(spec).spec());
            assertEquals(FormatSpec.parse(spec), FormatSpec.parse(FormatSpec.parse(spec).spec()));
        }
    }

    @Test
    void rejectsWhatTheGrammarDoesNot() {
        for (String bad : new String[] {"", "INT4", "int4-", "int4-g", "int4-128", "int4+sparse-1", "lut4+dense",
                "int4-g128-g64", "4bit", "lut4+sparse0.45+sparse", "int4 -g128"}) {
            String message = assertThrows(IllegalArgumentException.class, () -> FormatSpec.parse(bad), bad).getMessage();
            assertTrue(message.startsWith("bad format spec '" + bad + "'"), message);
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FormatSpec.parse("int4-g0")).getMessage()
                .endsWith("group size must be positive, got 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FormatSpec.parse("lut4+sparse0")).getMessage()
                .endsWith("sparse percent must be in (0, 100], got 0.0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FormatSpec.parse("int4-g99999999999")).getMessage()
                .contains("too large"));
    }
}
