package io.isthmus.runtime.generate;

import io.isthmus.runtime.model.ForwardPass;
import io.isthmus.runtime.model.KvCache;
import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.model.KvShape;
import io.isthmus.runtime.tokenizer.Tokenizer;

import java.util.function.BooleanSupplier;

/**
 * Generation over one {@link ForwardPass} (a local model, or the driver of a tensor-parallel group):
 * prefill the prompt in batches, then decode — a sampled sequence one token per step, a beam search
 * B beams per step — until end-of-generation, the token limit, the context limit or cancellation.
 * {@link #generate} runs one generation to its end; {@link #start} hands a started one to a
 * {@link DecodeLoop}, which decodes several in one batch. Not thread-safe.
 */
public final class Generator {
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

    /**
     * The outcome: generated ids (end-of-generation token excluded), the prompt's ids and timings;
     * for a beam search the returned sequence's score (summed log-probability over
     * length^length_penalty), NaN otherwise.
     */
    public record Output(int[] promptTokenIds, int[] tokenIds, String text, StopReason stopReason, GenerationTimings timings,
                         double score) {
    }

    public ForwardPass model() {
        return model;
    }

    public KvCacheType cacheType() {
        return cacheType;
    }

    Tokenizer tokenizer() {
        return tokenizer;
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
        try {
            float[] logits = new float[vocab];
            long deadline = System.nanoTime() + budgetMillis * 1_000_000;
            model.forward(cache, tokens, 0, prefill, 0, logits, false);
            for (int pos = prefill; pos < capacity && System.nanoTime() < deadline; pos++) {
                model.forward(cache, tokens, pos, 1, pos, logits, false);
            }
        } finally {
            model.release(cache);
        }
    }

    /** The logits after running {@code tokens} through a fresh cache. */
    public float[] logitsAfter(int[] tokens) {
        if (tokens.length == 0 || tokens.length > contextLimit) {
            throw new IllegalArgumentException("need 1.." + contextLimit + " tokens, got " + tokens.length);
        }
        KvCache cache = model.newCache(cacheType, tokens.length);
        try {
            float[] logits = new float[model.config().vocabSize()];
            prefill(cache, tokens, logits);
            return logits;
        } finally {
            model.release(cache);
        }
    }

    /** Runs the prompt into positions 0.. of {@code cache}; the last token's logits go to {@code logits}. */
    void prefill(KvCache cache, int[] prompt, float[] logits) {
        int batch = model.prefillBatch();
        for (int off = 0; off < prompt.length; off += batch) {
            int m = Math.min(batch, prompt.length - off);
            model.forward(cache, prompt, off, m, off, logits, false);
        }
    }

    /** Greedy or sampled generation of one sequence (no beam search). */
    public Output generate(int[] prompt, int maxNewTokens, SamplingParams params, boolean ignoreEos, TokenSink sink,
                           BooleanSupplier cancelled) {
        return generate(prompt, maxNewTokens, params, BeamParams.NONE, ignoreEos, sink, cancelled);
    }

    /**
     * Generates after {@code prompt}: tokens sampled with {@code params}, or with more than one beam
     * a beam search (params then unused; the tokens reach the sink at the end). Runs to the end on
     * the calling thread.
     */
    public Output generate(int[] prompt, int maxNewTokens, SamplingParams params, BeamParams beams, boolean ignoreEos,
                           TokenSink sink, BooleanSupplier cancelled) {
        DecodeJob job = start(prompt, maxNewTokens, params, beams, ignoreEos, sink, cancelled);
        if (!job.done()) {
            DecodeLoop loop = new DecodeLoop(model, model.maxBatchRows());
            loop.add(job);
            try {
                while (!job.done()) {
                    loop.step();
                }
            } catch (RuntimeException | Error e) {
                job.abandon();
                throw e;
            }
        }
        return job.result();
    }

    /**
     * Starts a generation for a {@link DecodeLoop}: creates its KV cache, runs the prompt and chooses
     * the first token(s). The job may be done at once (a limit of one token, an immediate end).
     */
    public DecodeJob start(int[] prompt, int maxNewTokens, SamplingParams params, BeamParams beams, boolean ignoreEos,
                           TokenSink sink, BooleanSupplier cancelled) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty (and the model adds no BOS token)");
        }
        if (prompt.length >= contextLimit) {
            throw new PromptTooLongException(prompt.length, contextLimit);
        }
        if (beams.beams() > model.maxBatchRows()) {
            throw new IllegalArgumentException(beams.beams() + " beams: one step runs at most " + model.maxBatchRows()
                    + " rows");
        }
        int capacity = Math.min(contextLimit, prompt.length + Math.max(1, maxNewTokens));
        KvCache cache = model.newCache(cacheType, KvShape.beams(prompt.length, beams.beams(), capacity));
        try {
            return beams.isBeamSearch()
                    ? new BeamSearchJob(this, cache, prompt, maxNewTokens, beams, ignoreEos, sink, cancelled)
                    : new SamplingJob(this, cache, prompt, maxNewTokens, params, ignoreEos, sink, cancelled);
        } catch (RuntimeException | Error e) {
            model.release(cache);
            throw e;
        }
    }
}
