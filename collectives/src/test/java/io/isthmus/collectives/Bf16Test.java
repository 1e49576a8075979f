package io.isthmus.collectives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Bf16Test {
    @Test
    void roundsToNearestEven() {
        assertEquals(1.0f, Bf16.toFloat(Bf16.fromFloat(1.0f)));
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1.0)
        assertEquals(1.0f, Bf16.toFloat(Bf16.fromFloat(1.0f + 0x1p-8f)));
        // 1 + 3*2^-8 lies halfway between 1 + 2^-7 and 1 + 2^-6: ties go to even (1 + 2^-6)
        assertEquals(1.0f + 0x1p-6f, Bf16.toFloat(Bf16.fromFloat(1.0f + 3 * 0x1p-8f)));
        assertEquals(1.0f + 0x1p-7f, Bf16.toFloat(Bf16.fromFloat(1.0f + 0x1p-8f + 0x1p-20f)));
        assertEquals(Float.NEGATIVE_INFINITY, Bf16.toFloat(Bf16.fromFloat(Float.NEGATIVE_INFINITY)));
        assertTrue(Float.isNaN(Bf16.toFloat(Bf16.fromFloat(Float.NaN))));
        assertEquals(-0.0f, Bf16.toFloat(Bf16.fromFloat(-0.0f)));
    }
}
