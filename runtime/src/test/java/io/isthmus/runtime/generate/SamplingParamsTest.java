package io.isthmus.runtime.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SamplingParamsTest {

    @Test
    void defaultsAreGreedyWithEveryFilterOff() {
        SamplingParams p = SamplingParams.GREEDY;
        assertTrue(p.isGreedy());
        assertEquals(0, p.topK());
        assertEquals(1.0, p.topP());
        assertEquals(0.0, p.minP());
        assertEquals(1.0, p.repetitionPenalty());
        assertEquals(64, p.repeatLastN());
    }

    @Test
    void withersChangeOneField() {
        SamplingParams p = SamplingParams.GREEDY.withTemperature(0.7).withTopP(0.9).withSeed(5);
        assertEquals(new SamplingParams(0.7, 0, 0.9, 0.0, 1.0, 64, 5), p);
    }

    @Test
    void invalidValuesSayWhichAndWhy() {
        assertMessage("top_p must be in (0, 1], got 1.5", () -> SamplingParams.GREEDY.withTopP(1.5));
        assertMessage("top_p must be in (0, 1], got 0.0", () -> SamplingParams.GREEDY.withTopP(0));
        assertMessage("top_k must be >= 0 (0 = off), got -1", () -> SamplingParams.GREEDY.withTopK(-1));
        assertMessage("min_p must be in [0, 1], got 2.0", () -> SamplingParams.GREEDY.withMinP(2));
        assertMessage("temperature must be a finite number >= 0 (0 = greedy), got -0.5",
                () -> SamplingParams.GREEDY.withTemperature(-0.5));
        assertMessage("temperature must be a finite number >= 0 (0 = greedy), got NaN",
                () -> SamplingParams.GREEDY.withTemperature(Double.NaN));
        assertMessage("repetition_penalty must be a finite number > 0 (1 = off), got 0.0",
                () -> SamplingParams.GREEDY.withRepetitionPenalty(0));
        assertMessage("repeat_last_n must be >= 0, got -3", () -> SamplingParams.GREEDY.withRepeatLastN(-3));
    }

    private static void assertMessage(String expected, Runnable action) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, action::run).getMessage());
    }
}
