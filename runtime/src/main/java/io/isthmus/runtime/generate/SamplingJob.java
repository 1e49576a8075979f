package io.isthmus.runtime.generate;

import io.isthmus.runtime.model.DecodeBatch;
import io.isthmus.runtime.model.ForwardPass;
import io.isthmus.runtime.model.KvCache;
import io.isthmus.runtime.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * One sequence whose tokens are sampled one at a time: its prompt runs when it is created, then
 * each step samples a token, streams it to the sink, and (unless it ends there) runs it next.
 */
final class SamplingJob implements DecodeJob {
    private final ForwardPass model;
    private final Tokenizer tokenizer;
    private final KvCache cache;
    private final Sampler sampler;
    private final int[] prompt;
    private final int maxNewTokens;
    private final boolean ignoreEos;
    private final TokenSink sink;
    private final BooleanSupplier cancelled;
    private final int vocab;
    /** The prompt, then each sampled token: the last one is sampled but not yet cached. */
    private final int[] history;
    private final int[] out;
    private final Utf8StreamDecoder utf8 = new Utf8StreamDecoder();
    private final StringBuilder text = new StringBuilder();
    private final double promptMs;
    private int produced;
    private int pos;
    private long decodeNanos;
    private int decodeSteps;
    private StopReason reason;
    private Generator.Output result;

    /** Runs the prompt (into {@code cache}, whose capacity bounds the sequence) and samples the first token. */
    SamplingJob(Generator generator, KvCache cache, int[] prompt, int maxNewTokens, SamplingParams params,
                boolean ignoreEos, TokenSink sink, BooleanSupplier cancelled) {
        this.model = generator.model();
        this.tokenizer = generator.tokenizer();
        this.cache = cache;
        this.sampler = new Sampler(params);
        this.prompt = prompt;
        this.maxNewTokens = maxNewTokens;
        this.ignoreEos = ignoreEos;
        this.sink = sink;
        this.cancelled = cancelled;
        this.vocab = model.config().vocabSize();
        this.history = Arrays.copyOf(prompt, cache.capacity() + 1);
        this.out = new int[Math.max(0, maxNewTokens)];
        float[] logits = new float[vocab];
        long t0 = System.nanoTime();
        generator.prefill(cache, prompt, logits);
        this.promptMs = (System.nanoTime() - t0) / 1e6;
        this.pos = prompt.length;
        choose(logits, 0);
    }

    /** Samples the next token from logits row {@code row}; finishes when the sequence ends. */
    private void choose(float[] logits, int row) {
        if (produced >= maxNewTokens) {
            finish(StopReason.MAX_TOKENS);
            return;
        }
        if (cancelled.getAsBoolean()) {
            finish(StopReason.CANCELLED);
            return;
        }
        int next = sampler.sample(logits, row * vocab, vocab, history, pos);
        if (!ignoreEos && tokenizer.isEndOfGeneration(next)) {
            finish(StopReason.END_OF_GENERATION);
            return;
        }
        out[produced++] = next;
        history[pos] = next;
        String piece = utf8.push(tokenizer.tokenBytes(next));
        text.append(piece);
        sink.accept(next, piece);
        if (produced >= maxNewTokens) {
            finish(StopReason.MAX_TOKENS);
        } else if (pos >= cache.capacity()) {
            finish(StopReason.CONTEXT_FULL);
        }
    }

    @Override
    public int rows() {
        return 1;
    }

    @Override
    public void addRows(DecodeBatch batch) {
        batch.add(cache, pos, history[pos]);
    }

    @Override
    public void accept(float[] logits, int firstRow, long stepNanos) {
        decodeNanos += stepNanos;
        decodeSteps++;
        pos++;
        choose(logits, firstRow);
    }

    private void finish(StopReason why) {
        reason = why;
        String rest = utf8.flush();
        if (!rest.isEmpty()) {
            text.append(rest);
            sink.accept(-1, rest);
        }
        model.release(cache);
        GenerationTimings timings = new GenerationTimings(promptMs, prompt.length, decodeNanos / 1e6, decodeSteps);
        result = new Generator.Output(prompt, Arrays.copyOf(out, produced), text.toString(), reason, timings, Double.NaN);
    }

    @Override
    public void abandon() {
        if (result == null) {
            model.release(cache);
        }
    }

    @Override
    public boolean done() {
        return result != null;
    }

    @Override
    public Generator.Output result() {
        if (result == null) {
            throw new IllegalStateException("the generation has not finished");
        }
        return result;
    }
}
