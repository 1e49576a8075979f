package io.isthmus.runtime.generate;

import io.isthmus.runtime.model.ForwardPass;
import io.isthmus.runtime.model.KvCache;
import io.isthmus.runtime.tokenizer.Tokenizer;

/**
 * What every {@link DecodeJob} that produces one text does alike: runs its prompt into its KV cache
 * (timed), streams tokens to the sink as UTF-8 text, counts decode steps, and at the end releases
 * the cache and holds the {@link Generator.Output}. Subclasses choose the tokens.
 */
abstract class GenerationJob implements DecodeJob {
    protected final ForwardPass model;
    protected final Tokenizer tokenizer;
    protected final KvCache cache;
    protected final int[] prompt;
    protected final int vocab;
    private final TokenSink sink;
    private final Utf8StreamDecoder utf8 = new Utf8StreamDecoder();
    private final StringBuilder text = new StringBuilder();
    private double promptMs;
    private long decodeNanos;
    private int decodeSteps;
    private Generator.Output result;

    GenerationJob(Generator generator, KvCache cache, int[] prompt, TokenSink sink) {
        this.model = generator.model();
        this.tokenizer = generator.tokenizer();
        this.cache = cache;
        this.prompt = prompt;
        this.sink = sink;
        this.vocab = model.config().vocabSize();
    }

    /** Runs the prompt into the cache and returns the logits after it (the time is the prompt latency). */
    protected final float[] runPrompt(Generator generator) {
        float[] logits = new float[vocab];
        long t0 = System.nanoTime();
        generator.prefill(cache, prompt, logits);
        promptMs = (System.nanoTime() - t0) / 1e6;
        return logits;
    }

    /** Counts one decode step that took {@code nanos}. */
    protected final void stepDone(long nanos) {
        decodeNanos += nanos;
        decodeSteps++;
    }

    /** Streams token {@code id} to the sink as the text it completes. */
    protected final void emit(int id) {
        String piece = utf8.push(tokenizer.tokenBytes(id));
        text.append(piece);
        sink.accept(id, piece);
    }

    /** Ends the job: flushes the text, releases the cache, and keeps the output of {@code ids}. */
    protected final void complete(int[] ids, StopReason reason, double score) {
        String rest = utf8.flush();
        if (!rest.isEmpty()) {
            text.append(rest);
            sink.accept(-1, rest);
        }
        model.release(cache);
        GenerationTimings timings = new GenerationTimings(promptMs, prompt.length, decodeNanos / 1e6, decodeSteps);
        result = new Generator.Output(prompt, ids, text.toString(), reason, timings, score);
    }

    @Override
    public final void abandon() {
        if (result == null) {
            model.release(cache);
        }
    }

    @Override
    public final boolean done() {
        return result != null;
    }

    @Override
    public final Generator.Output result() {
        if (result == null) {
            throw new IllegalStateException("the generation has not finished");
        }
        return result;
    }
}
