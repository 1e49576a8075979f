package io.isthmus.runtime.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SamplerTest {

    private static final int DRAWS = 2000;

    private static float[] randomLogits(int vocab, long seed) {
        Random random = new Random(seed);
        float[] logits = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            logits[i] = (float) (random.nextGaussian() * 3);
        }
        return logits;
    }

    /** Logits whose softmax (at temperature 1) is the given distribution. */
    private static float[] logitsOf(double... probabilities) {
        float[] logits = new float[probabilities.length];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.log(probabilities[i]);
        }
        return logits;
    }

    private static int[] counts(Sampler sampler, float[] logits, int draws) {
        int[] counts = new int[logits.length];
        for (int i = 0; i < draws; i++) {
            counts[sampler.sample(logits, logits.length)]++;
        }
        return counts;
    }

    @Test
    void greedyTakesArgmaxAndLowestIdOnTies() {
        Sampler greedy = new Sampler(SamplingParams.GREEDY);
        assertEquals(2, greedy.sample(new float[] {0.5f, -1f, 3f, 2.9f}, 4));
        assertEquals(1, greedy.sample(new float[] {0f, 7f, 2f, 7f, 7f}, 5));
        float[] logits = randomLogits(32000, 1);
        int expected = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[expected]) {
                expected = i;
            }
        }
        assertEquals(expected, greedy.sample(logits, logits.length));
    }

    @Test
    void greedyIgnoresPaddedLogitsPastVocabSize() {
        Sampler greedy = new Sampler(SamplingParams.GREEDY);
        assertEquals(1, greedy.sample(new float[] {0f, 1f, 99f}, 2));
    }

    @Test
    void topKOfOneIsGreedy() {
        Sampler topOne = new Sampler(SamplingParams.GREEDY.withTemperature(1.5).withTopK(1).withSeed(7));
        Sampler greedy = new Sampler(SamplingParams.GREEDY);
        for (int step = 0; step < 50; step++) {
            float[] logits = randomLogits(32000, step);
            assertEquals(greedy.sample(logits, logits.length), topOne.sample(logits, logits.length), "step " + step);
        }
    }

    @Test
    void sameSeedGivesSameTokens() {
        SamplingParams params = SamplingParams.GREEDY.withTemperature(1.0).withTopK(50).withTopP(0.95).withSeed(42);
        float[] logits = randomLogits(32000, 3);
        int[] first = draw(new Sampler(params), logits, 200);
        int[] second = draw(new Sampler(params), logits, 200);
        assertArrayEquals(first, second);
        assertTrue(Arrays.stream(first).distinct().count() > 5, "the distribution is wide enough to vary");
    }

    @Test
    void differentSeedsGiveDifferentTokens() {
        SamplingParams params = SamplingParams.GREEDY.withTemperature(1.0).withTopK(50);
        float[] logits = randomLogits(32000, 3);
        assertNotEquals(Arrays.toString(draw(new Sampler(params.withSeed(1)), logits, 100)),
                Arrays.toString(draw(new Sampler(params.withSeed(2)), logits, 100)));
    }

    private static int[] draw(Sampler sampler, float[] logits, int n) {
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = sampler.sample(logits, logits.length);
        }
        return tokens;
    }

    @Test
    void topKKeepsOnlyTheKBest() {
        float[] logits = randomLogits(32000, 5);
        int[] order = bestFirst(logits);
        int[] counts = counts(new Sampler(SamplingParams.GREEDY.withTemperature(5.0).withTopK(40).withSeed(3)), logits, DRAWS);
        int seen = 0;
        for (int rank = 0; rank < order.length; rank++) {
            int c = counts[order[rank]];
            if (rank >= 40) {
                assertEquals(0, c, "token ranked " + rank + " was drawn");
            } else if (c > 0) {
                seen++;
            }
        }
        assertTrue(seen > 30, "a hot temperature spreads draws over most of the 40, saw " + seen);
    }

    @Test
    void topPExcludesTheTail() {
        // 0.5 + 0.3 = 0.8 reaches p = 0.75; the rest (0.2 spread over 998 tokens) must never appear.
        double[] probabilities = new double[1000];
        probabilities[0] = 0.5;
        probabilities[1] = 0.3;
        Arrays.fill(probabilities, 2, 1000, 0.2 / 998);
        float[] logits = logitsOf(probabilities);
        int[] counts = counts(new Sampler(SamplingParams.GREEDY.withTemperature(1.0).withTopP(0.75).withSeed(11)), logits, DRAWS);
        assertEquals(DRAWS, counts[0] + counts[1]);
        assertTrue(counts[0] > counts[1] && counts[1] > 0, Arrays.toString(Arrays.copyOf(counts, 2)));
    }

    @Test
    void topPOverAWideDistributionKeepsTheExactNucleus() {
        // A slowly decaying distribution whose nucleus is hundreds of tokens, past the first guess.
        float[] logits = new float[32000];
        for (int i = 0; i < logits.length; i++) {
            logits[(i * 7919) % logits.length] = -0.002f * i; // shuffled ids, so selection is exercised
        }
        double p = 0.5;
        int[] order = bestFirst(logits);
        double total = 0;
        for (float l : logits) {
            total += Math.exp(l);
        }
        int nucleus = 0;
        for (double cumulative = 0; cumulative < p * total; nucleus++) {
            cumulative += Math.exp(logits[order[nucleus]]);
        }
        assertTrue(nucleus > 256, "nucleus of " + nucleus + " tokens");

        int[] counts = counts(new Sampler(SamplingParams.GREEDY.withTemperature(1.0).withTopP(p).withSeed(5)), logits, 5000);
        int deepest = -1;
        for (int rank = 0; rank < order.length; rank++) {
            if (counts[order[rank]] > 0) {
                deepest = rank;
            }
        }
        assertTrue(deepest < nucleus, "drew rank " + deepest + ", nucleus ends at " + nucleus);
        assertTrue(deepest > nucleus - 20, "draws reach the end of the nucleus, deepest rank " + deepest);
    }

    @Test
    void topPIsJudgedAfterTemperature() {
        // At temperature 1 token 0 alone has 0.8 >= p; at temperature 4 it has about 0.59 < p.
        float[] logits = logitsOf(0.8, 0.2);
        SamplingParams params = SamplingParams.GREEDY.withTopP(0.7).withSeed(9);
        assertEquals(0, counts(new Sampler(params.withTemperature(1.0)), logits, DRAWS)[1]);
        assertTrue(counts(new Sampler(params.withTemperature(4.0)), logits, DRAWS)[1] > 0);
    }

    @Test
    void minPExcludesTokensBelowTheFractionOfTheBest() {
        // pmax = 0.4, min_p = 0.2: tokens below 0.08 go.
        float[] logits = logitsOf(0.4, 0.3, 0.2, 0.05, 0.03, 0.02);
        int[] counts = counts(new Sampler(SamplingParams.GREEDY.withTemperature(1.0).withMinP(0.2).withSeed(13)), logits, DRAWS);
        assertEquals(0, counts[3] + counts[4] + counts[5], Arrays.toString(counts));
        assertTrue(counts[0] > 0 && counts[1] > 0 && counts[2] > 0, Arrays.toString(counts));
    }

    @Test
    void topKThenTopPThenMinPCombine() {
        float[] logits = logitsOf(0.3, 0.25, 0.2, 0.1, 0.08, 0.07);
        SamplingParams params = SamplingParams.GREEDY.withTemperature(1.0).withTopK(4).withTopP(0.9).withMinP(0.5).withSeed(21);
        // top-k 4 → {0,1,2,3}; top-p over 0.85 mass: 0.3+0.25+0.2 = 0.75 < 0.765 → {0,1,2,3};
        // min-p 0.5 of 0.3 = 0.15 → {0,1,2}.
        int[] counts = counts(new Sampler(params), logits, DRAWS);
        assertEquals(DRAWS, counts[0] + counts[1] + counts[2], Arrays.toString(counts));
        assertTrue(counts[2] > 0);
    }

    @Test
    void repetitionPenaltyChangesTheArgmax() {
        SamplingParams penalized = SamplingParams.GREEDY.withRepetitionPenalty(1.2);
        float[] positive = {2.0f, 1.9f, 0f};
        assertEquals(0, new Sampler(SamplingParams.GREEDY).sample(positive, 3, new int[] {0}, 1));
        assertEquals(1, new Sampler(penalized).sample(positive, 3, new int[] {0}, 1));
        float[] negative = {-1.0f, -1.1f, -5f};
        assertEquals(1, new Sampler(penalized).sample(negative, 3, new int[] {0}, 1));
    }

    @Test
    void repetitionPenaltyAppliesOncePerTokenAndOnlyInTheWindow() {
        float[] logits = {2.0f, 1.5f};
        SamplingParams penalized = SamplingParams.GREEDY.withRepetitionPenalty(1.2);
        // 2.0 / 1.2 = 1.67 still beats 1.5; three applications (2.0 / 1.728 = 1.16) would not.
        assertEquals(0, new Sampler(penalized).sample(logits, 2, new int[] {0, 0, 0}, 3));
        // Token 0 sits outside the last 2 tokens, so only token 1 is penalized.
        assertEquals(0, new Sampler(penalized.withRepeatLastN(2)).sample(new float[] {1.9f, 2.0f}, 2, new int[] {0, 1, 1}, 3));
        assertEquals(1, new Sampler(penalized.withRepeatLastN(3)).sample(new float[] {1.9f, 2.0f}, 2, new int[] {0, 1, 1}, 3));
    }

    @Test
    void callerLogitsAreNotModified() {
        float[] logits = randomLogits(1000, 8);
        float[] copy = logits.clone();
        Sampler sampler = new Sampler(SamplingParams.GREEDY.withTemperature(0.8).withTopK(10).withTopP(0.9)
                .withMinP(0.05).withRepetitionPenalty(1.3).withSeed(4));
        sampler.sample(logits, logits.length, new int[] {1, 2, 3, 500}, 4);
        assertArrayEquals(copy, logits);
    }

    @Test
    void temperatureDrawsFollowTheSoftmax() {
        float[] logits = {1.0f, 0.5f, 0.0f, -0.3f, -1.0f, 0.8f, -2.0f, 0.2f};
        double temperature = 0.7;
        double[] expected = new double[logits.length];
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            expected[i] = Math.exp(logits[i] / temperature);
            total += expected[i];
        }
        int n = 20000;
        int[] counts = counts(new Sampler(SamplingParams.GREEDY.withTemperature(temperature).withSeed(1)), logits, n);
        double chiSquare = 0;
        for (int i = 0; i < logits.length; i++) {
            double e = n * expected[i] / total;
            chiSquare += (counts[i] - e) * (counts[i] - e) / e;
        }
        // 7 degrees of freedom: 24.3 is the 0.1 % critical value.
        assertTrue(chiSquare < 24.3, "chi-square " + chiSquare + " for " + Arrays.toString(counts));
    }

    @Test
    void badArgumentsAreRejected() {
        Sampler sampler = new Sampler(SamplingParams.GREEDY.withRepetitionPenalty(1.1));
        assertThrows(IllegalArgumentException.class, () -> sampler.sample(new float[4], 5));
        assertThrows(IllegalArgumentException.class, () -> sampler.sample(new float[4], 4, new int[] {4}, 1));
        assertThrows(IllegalArgumentException.class, () -> sampler.sample(new float[] {0f, Float.NaN}, 2));
    }

    private static int[] bestFirst(float[] logits) {
        return java.util.stream.IntStream.range(0, logits.length).boxed()
                .sorted((a, b) -> Float.compare(logits[b], logits[a]))
                .mapToInt(Integer::intValue).toArray();
    }
}
