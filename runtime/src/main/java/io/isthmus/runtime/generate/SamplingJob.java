package io.isthmus.runtime.generate;

import io.isthmus.runtime.model.DecodeBatch;
import io.isthmus.runtime.model.KvCache;

import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * One sequence whose tokens are sampled one at a time: its prompt runs when it is created, then
 * each step samples a token, streams it to the sink, and (unless it ends there) runs it next.
 */
final class SamplingJob extends GenerationJob {
    private final Sampler sampler;
    private final int maxNewTokens;
    private final boolean ignoreEos;
    private final BooleanSupplier cancelled;
    /** The prompt, then each sampled token: the last one is sampled but not yet cached. */
    private final int[] history;
    private final int[] out;
    private int produced;
    private int pos;

    /** Runs the prompt (into {@code cache}, whose capacity bounds the sequence) and samples the first token. */
    SamplingJob(Generator generator, KvCache cache, int[] prompt, int maxNewTokens, SamplingParams params,
                boolean ignoreEos, TokenSink sink, BooleanSupplier cancelled) {
        super(generator, cache, prompt, sink);
        this.sampler = new Sampler(params);
        this.maxNewTokens = maxNewTokens;
        this.ignoreEos = ignoreEos;
        this.cancelled = cancelled;
        this.history = Arrays.copyOf(prompt, cache.capacity() + 1);
        this.out = new int[Math.max(0, maxNewTokens)];
        float[] logits = runPrompt(generator);
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
        emit(next);
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
        stepDone(stepNanos);
        pos++;
        choose(logits, firstRow);
    }

    private void finish(StopReason why) {
        complete(Arrays.copyOf(out, produced), why, Double.NaN);
    }
}
