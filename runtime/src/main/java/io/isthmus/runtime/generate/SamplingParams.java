package io.isthmus.runtime.generate;

/**
 * How the next token is chosen from the logits. Each filter has an "off" value, and the defaults
 * ({@link #GREEDY}) switch everything off: temperature 0 means argmax.
 *
 * <p>Validation messages begin with the model.yaml key of the offending field (e.g.
 * {@code top_p must be in (0, 1], got 1.5}), so a config reader can prefix its section name.
 *
 * @param temperature       0 = greedy (argmax); otherwise logits are divided by it before softmax
 * @param topK              keep only the k most likely tokens; 0 = off
 * @param topP              nucleus: keep the smallest set of most likely tokens whose probability
 *                          reaches p; 1 = off
 * @param minP              drop tokens whose probability is below {@code minP * pmax}; 0 = off
 * @param repetitionPenalty divides positive (multiplies negative) logits of recently seen tokens;
 *                          1 = off
 * @param repeatLastN       how many of the most recent tokens the penalty looks at
 * @param seed              seeds the sampler's random generator
 */
public record SamplingParams(double temperature, int topK, double topP, double minP,
                             double repetitionPenalty, int repeatLastN, long seed) {

    public static final int DEFAULT_REPEAT_LAST_N = 64;

    public static final SamplingParams GREEDY =
            new SamplingParams(0.0, 0, 1.0, 0.0, 1.0, DEFAULT_REPEAT_LAST_N, 0L);

    public SamplingParams {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0 (0 = greedy), got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("min_p must be in [0, 1], got " + minP);
        }
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition_penalty must be a finite number > 0 (1 = off), got " + repetitionPenalty);
        }
        if (repeatLastN < 0) {
            throw new IllegalArgumentException("repeat_last_n must be >= 0, got " + repeatLastN);
        }
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    public SamplingParams withTemperature(double value) {
        return new SamplingParams(value, topK, topP, minP, repetitionPenalty, repeatLastN, seed);
    }

    public SamplingParams withTopK(int value) {
        return new SamplingParams(temperature, value, topP, minP, repetitionPenalty, repeatLastN, seed);
    }

    public SamplingParams withTopP(double value) {
        return new SamplingParams(temperature, topK, value, minP, repetitionPenalty, repeatLastN, seed);
    }

    public SamplingParams withMinP(double value) {
        return new SamplingParams(temperature, topK, topP, value, repetitionPenalty, repeatLastN, seed);
    }

    public SamplingParams withRepetitionPenalty(double value) {
        return new SamplingParams(temperature, topK, topP, minP, value, repeatLastN, seed);
    }

    public SamplingParams withRepeatLastN(int value) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, value, seed);
    }

    public SamplingParams withSeed(long value) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, repeatLastN, value);
    }
}
