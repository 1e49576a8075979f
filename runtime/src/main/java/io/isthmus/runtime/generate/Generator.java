package io.isthmus.runtime.generate;

import io.isthmus.runtime.model.ForwardPass;
import io.isthmus.runtime.model.KvCache;
import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * The generation loop of one sequence: prefill the prompt in batches, then sample and decode one
 * token at a time until end-of-generation, the token limit, the context limit or cancellation.
 * Not thread-safe (it drives one {@link ForwardPass}: a local model, or the driver of a
 * tensor-parallel group).
 */
public final class Generator {
    /** Prompt tokens per prefill batch: large enough for matrix-matrix speed, small enough for the scratch buffers. */
    public static final int PREFILL_BATCH = 64;

    private final ForwardPass model;
    private final Tokenizer tokenizer;
    private final KvCacheType cacheType;
    private final int contextLimit;

    public Generator(ForwardPass model, Tokenizer tokenizer, KvCacheType cacheType, int contextLimit) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.cacheType = cacheType;
        this.contextLimit = contextLimit;
    }

    /** The outcome: generated ids (end-of-generation token excluded), the prompt's ids and timings. */
    public record Output(int[] promptTokenIds, int[] tokenIds, String text, StopReason stopReason, GenerationTimings timings) {
    }

    public ForwardPass model() {
        return model;
    }

    public KvCacheType cacheType() {
        return cacheType;
    }

    public int[] tokenize(String prompt) {
        return tokenizer.encode(prompt, true);
    }

    /**
     * Runs a short throw-away sequence (a batched prefill, then decode steps until
     * {@code budgetMillis} have passed) so the JIT compiles the kernels before the first request:
     * Vector API code runs 100-1000× slower until C2 has compiled it.
     */
    public void warmUp(long budgetMillis) {
        int capacity = Math.min(contextLimit, 64);
        int prefill = Math.min(16, capacity - 1);
        int vocab = model.config().vocabSize();
        int[] tokens = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            tokens[i] = (i * 7919) % vocab;
        }
        KvCache cache = model.newCache(cacheType, capacity);
        float[] logits = new float[vocab];
        long deadline = System.nanoTime() + budgetMillis * 1_000_000;
        model.forward(cache, tokens, 0, prefill, 0, logits, false);
        for (int pos = prefill; pos < capacity && System.nanoTime() < deadline; pos++) {
            model.forward(cache, tokens, pos, 1, pos, logits, false);
        }
    }

    /** The logits after running {@code tokens} through a fresh cache. */
    public float[] logitsAfter(int[] tokens) {
        if (tokens.length == 0 || tokens.length > contextLimit) {
            throw new IllegalArgumentException("need 1.." + contextLimit + " tokens, got " + tokens.length);
        }
        KvCache cache = model.newCache(cacheType, tokens.length);
        float[] logits = new float[model.config().vocabSize()];
        prefill(cache, tokens, logits);
        return logits;
    }

    private void prefill(KvCache cache, int[] prompt, float[] logits) {
        for (int off = 0; off < prompt.length; off += PREFILL_BATCH) {
            int m = Math.min(PREFILL_BATCH, prompt.length - off);
            model.forward(cache, prompt, off, m, off, logits, false);
        }
    }

    public Output generate(int[] prompt, int maxNewTokens, SamplingParams params, boolean ignoreEos, TokenSink sink,
                           BooleanSupplier cancelled) {
        int vocab = model.config().vocabSize();
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty (and the model adds no BOS token)");
        }
        if (prompt.length >= contextLimit) {
            throw new PromptTooLongException(prompt.length, contextLimit);
        }
        int capacity = Math.min(contextLimit, prompt.length + Math.max(1, maxNewTokens));
        KvCache cache = model.newCache(cacheType, capacity);
        Sampler sampler = new Sampler(params);
        int[] history = Arrays.copyOf(prompt, capacity + 1); // + the last token, sampled but never cached
        float[] logits = new float[vocab];

        long t0 = System.nanoTime();
        prefill(cache, prompt, logits);
        long t1 = System.nanoTime();

        Utf8StreamDecoder utf8 = new Utf8StreamDecoder();
        StringBuilder text = new StringBuilder();
        int[] out = new int[Math.max(0, maxNewTokens)];
        int produced = 0;
        int pos = prompt.length;
        long decodeNanos = 0;
        int decodeSteps = 0;
        StopReason reason = StopReason.MAX_TOKENS;
        while (true) {
            if (produced >= maxNewTokens) {
                reason = StopReason.MAX_TOKENS;
                break;
            }
            if (cancelled.getAsBoolean()) {
                reason = StopReason.CANCELLED;
                break;
            }
            int next = sampler.sample(logits, vocab, history, pos);
            if (!ignoreEos && tokenizer.isEndOfGeneration(next)) {
                reason = StopReason.END_OF_GENERATION;
                break;
            }
            out[produced++] = next;
            history[pos] = next;
            String piece = utf8.push(tokenizer.tokenBytes(next));
            text.append(piece);
            sink.accept(next, piece);
            if (produced >= maxNewTokens) {
                reason = StopReason.MAX_TOKENS;
                break;
            }
            if (pos >= capacity) {
                reason = StopReason.CONTEXT_FULL;
                break;
            }
            long s = System.nanoTime();
            model.forward(cache, history, pos, 1, pos, logits, false);
            decodeNanos += System.nanoTime() - s;
            decodeSteps++;
            pos++;
        }
        String rest = utf8.flush();
        if (!rest.isEmpty()) {
            text.append(rest);
            sink.accept(-1, rest);
        }
        GenerationTimings timings = new GenerationTimings((t1 - t0) / 1e6, prompt.length, decodeNanos / 1e6, decodeSteps);
        return new Output(prompt, Arrays.copyOf(out, produced), text.toString(), reason, timings);
    }
}
