package io.isthmus.runtime.generate;

import io.isthmus.runtime.kernel.Ops;
import io.isthmus.runtime.model.DecodeBatch;
import io.isthmus.runtime.model.KvCache;

import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * Beam search of width B over an indirect-access KV cache (transformers' algorithm): the prompt runs
 * once into the cache's shared part; every step runs the B beams' last tokens as one batch, takes
 * the best 2B continuations of all beams by summed log-probability, moves those ending in
 * end-of-generation to the finished list (only if among the best B) and keeps the best B others
 * as the next beams, each naming the beam it continues. The cache's beam-history table turns that
 * into each beam's view of the past; nothing in the cache is copied. The search ends at the token
 * limit, when the finished list says no running beam can win ({@link BeamHypotheses#done}), or
 * when cancelled; the best finished sequence (running beams count as finished at the limit) is
 * the result, streamed to the sink at the end.
 */
final class BeamSearchJob extends GenerationJob {
    private final int maxNewTokens;
    private final boolean ignoreEos;
    private final BooleanSupplier cancelled;
    private final int beams;
    private final BeamHypotheses finished;
    /** tokens[b][0..length): the generated tokens of running beam b; next[] is the other buffer. */
    private int[][] tokens, next;
    private final double[] logProb;
    private final int[] parent;
    /** Candidates of a step: per beam its best 2B tokens, then the best 2B of all, best first. */
    private final int[] topIds;
    private final double[] candScore;
    private final int[] candBeam, candToken;
    private final int[] order;
    private int length;

    BeamSearchJob(Generator generator, KvCache cache, int[] prompt, int maxNewTokens, BeamParams params,
                  boolean ignoreEos, TokenSink sink, BooleanSupplier cancelled) {
        super(generator, cache, prompt, sink);
        this.maxNewTokens = maxNewTokens;
        this.ignoreEos = ignoreEos;
        this.cancelled = cancelled;
        this.beams = params.beams();
        if (2 * beams > vocab) {
            throw new IllegalArgumentException(beams + " beams need a vocabulary of at least " + 2 * beams + " tokens");
        }
        this.finished = new BeamHypotheses(params);
        this.tokens = new int[beams][Math.max(1, maxNewTokens)];
        this.next = new int[beams][Math.max(1, maxNewTokens)];
        this.logProb = new double[beams];
        this.parent = new int[beams];
        this.topIds = new int[2 * beams];
        this.candScore = new double[beams * 2 * beams];
        this.candBeam = new int[candScore.length];
        this.candToken = new int[candScore.length];
        this.order = new int[candScore.length];
        float[] logits = runPrompt(generator);
        if (maxNewTokens <= 0) {
            finish(StopReason.MAX_TOKENS, false);
        } else {
            select(logits, 0, 1); // one beam so far: the prompt
        }
    }

    /**
     * One step's choice from the logits of {@code live} beams (rows firstRow..): the next beams, the
     * newly finished sequences, and whether to stop.
     */
    private void select(float[] logits, int firstRow, int live) {
        int k = 2 * beams;
        int n = 0;
        for (int b = 0; b < live; b++) {
            int off = (firstRow + b) * vocab;
            double lse = Ops.logSumExp(logits, off, vocab);
            int count = topTokens(logits, off, k);
            for (int i = 0; i < count; i++) {
                candScore[n] = logProb[b] + (logits[off + topIds[i]] - lse);
                candBeam[n] = b;
                candToken[n] = topIds[i];
                order[n] = n;
                n++;
            }
        }
        sortBestFirst(n);
        int kept = 0;
        // transformers looks at the best 2B only; with several end-of-generation ids more than B of
        // them can be there, and then the next non-ending candidates fill the beams
        for (int rank = 0; rank < n && kept < beams; rank++) {
            int c = order[rank];
            int b = candBeam[c];
            if (!ignoreEos && tokenizer.isEndOfGeneration(candToken[c])) {
                if (rank < beams) {
                    finished.add(Arrays.copyOf(tokens[b], length), candScore[c], length + 1, true);
                }
                continue;
            }
            System.arraycopy(tokens[b], 0, next[kept], 0, length);
            next[kept][length] = candToken[c];
            parent[kept] = b;
            logProb[kept] = candScore[c];
            kept++;
        }
        if (kept == 0) { // every candidate ends the sequence
            finish(StopReason.END_OF_GENERATION, false);
            return;
        }
        for (int b = kept; b < beams; b++) { // too few candidates: copies of the best beam that can never win
            System.arraycopy(next[0], 0, next[b], 0, length + 1);
            parent[b] = parent[0];
            logProb[b] = Double.NEGATIVE_INFINITY;
        }
        int[][] t = tokens;
        tokens = next;
        next = t;
        length++;
        if (finished.done(candScore[order[0]], length)) {
            finish(StopReason.END_OF_GENERATION, false);
        } else if (length >= maxNewTokens) {
            finish(StopReason.MAX_TOKENS, true);
        } else if (cancelled.getAsBoolean()) {
            finish(StopReason.CANCELLED, true);
        } else if (prompt.length + length - 1 >= cache.capacity()) {
            finish(StopReason.CONTEXT_FULL, true);
        }
    }

    /**
     * Sorts order[0..n) by candidate score, best first; equal scores keep their order, lower beam
     * then lower token, as the candidates were added. An insertion sort: n is at most 2·beams², and
     * a sort of boxed indices with a comparator cost more than the selection around it.
     */
    private void sortBestFirst(int n) {
        for (int i = 1; i < n; i++) {
            int c = order[i];
            int at = i;
            while (at > 0 && Double.compare(candScore[c], candScore[order[at - 1]]) > 0) {
                order[at] = order[at - 1];
                at--;
            }
            order[at] = c;
        }
    }

    /**
     * The best {@code k} token ids of the logits row at {@code off} into topIds, best first (ties:
     * lower id). Once k are kept, only ids above the k-th best can enter, and a vector scan jumps
     * to the next such id.
     */
    private int topTokens(float[] logits, int off, int k) {
        int count = 0;
        for (int id = 0; id < vocab; id++) {
            if (count == k) {
                id = Ops.firstAbove(logits, off + id, off + vocab, logits[off + topIds[k - 1]]) - off;
                if (id == vocab) {
                    break;
                }
            }
            float v = logits[off + id];
            int at = count == k ? k - 1 : count++;
            while (at > 0 && v > logits[off + topIds[at - 1]]) {
                topIds[at] = topIds[at - 1];
                at--;
            }
            topIds[at] = id;
        }
        return count;
    }

    @Override
    public int rows() {
        return beams;
    }

    @Override
    public void addRows(DecodeBatch batch) {
        int pos = prompt.length + length - 1;
        for (int b = 0; b < beams; b++) {
            batch.add(cache, b, parent[b], pos, tokens[b][length - 1]);
        }
    }

    @Override
    public void accept(float[] logits, int firstRow, long stepNanos) {
        stepDone(stepNanos);
        select(logits, firstRow, beams);
    }

    /** Ends the search; {@code addRunning}: the running beams compete as finished sequences (at a limit). */
    private void finish(StopReason why, boolean addRunning) {
        if (addRunning) {
            for (int b = 0; b < beams && length > 0; b++) {
                finished.add(Arrays.copyOf(tokens[b], length), logProb[b], length, false);
            }
        }
        BeamHypotheses.Hypothesis best = finished.best();
        int[] ids = best == null ? new int[0] : best.tokens();
        StopReason reason = best != null && best.endedByEos() ? StopReason.END_OF_GENERATION
                : why == StopReason.END_OF_GENERATION ? StopReason.MAX_TOKENS : why;
        for (int id : ids) {
            emit(id);
        }
        complete(ids, reason, best == null ? Double.NaN : best.score());
    }
}
