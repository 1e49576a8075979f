package io.isthmus.runtime.cluster;

import io.isthmus.collectives.Communicator;
import io.isthmus.runtime.model.DecodeBatch;
import io.isthmus.runtime.model.ForwardPass;
import io.isthmus.runtime.model.KvCache;
import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.model.KvShape;
import io.isthmus.runtime.model.ModelConfig;
import io.isthmus.runtime.model.Transformer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tensor-parallel group as seen from rank 0: each call is broadcast as a {@link Step} to the
 * {@link Follower}s, then run on rank 0's own shard; the collectives inside the forward pass keep
 * the ranks together, and rank 0 ends with the full logits. A generator drives it as it drives a
 * local {@link Transformer}.
 *
 * <p>Every rank keeps the KV caches of the live sequences under the driver's sequence ids, until the
 * driver {@link #release releases} one; a batch step names each row's sequence, beam and parent
 * beam, so batched decode and beam search run on every rank alike. A forward pass on a cache that
 * is not live is refused before anything is broadcast, and so is every argument the followers
 * could not run, so a bad call fails on the driver alone and leaves the group usable.
 * Not thread-safe; call it from the thread that owns rank 0's communicator.
 */
public final class DriverForward implements ForwardPass, AutoCloseable {
    private final Transformer shard;
    private final Communicator comm;
    /** Live sequences the followers hold a cache for; more is a caller that forgets to release. */
    static final int MAX_LIVE_SEQUENCES = 1024;
    private final byte[] frame = new byte[StepCodec.FRAME_BYTES];
    private final Map<KvCache, Long> live = new IdentityHashMap<>();
    private final List<Step.Row> rows = new ArrayList<>();
    /** The id of the newest sequence. */
    private long lastSequence = -1;
    private boolean shutDown;

    /** {@code shard} is rank 0's part of the model, joined to the followers by {@code comm}. */
    public DriverForward(Transformer shard, Communicator comm) {
        if (comm.rank() != 0) {
            throw new IllegalArgumentException("the driver is rank 0, not rank " + comm.rank());
        }
        this.shard = shard;
        this.comm = comm;
    }

    @Override
    public ModelConfig config() {
        return shard.config();
    }

    @Override
    public KvCache newCache(KvCacheType type, KvShape shape) {
        if (live.size() >= MAX_LIVE_SEQUENCES) {
            throw new IllegalStateException(live.size() + " live sequences: release KV caches that are done with");
        }
        KvCache cache = shard.newCache(type, shape); // allocation failure here is the driver's alone
        send(Step.newSequence(lastSequence + 1, type, shape));
        lastSequence++;
        live.put(cache, lastSequence);
        return cache;
    }

    /** Sequences whose caches the ranks hold (made and not released). */
    public int liveSequences() {
        return live.size();
    }

    @Override
    public void release(KvCache cache) {
        Long id = live.remove(cache);
        if (id != null && !shutDown) {
            send(Step.release(id));
        }
    }

    private long sequenceOf(KvCache cache) {
        Long id = live.get(cache);
        if (id == null) {
            throw new IllegalStateException("a forward pass on a KV cache that was released or not made by this driver");
        }
        return id;
    }

    @Override
    public void forward(KvCache cache, int[] tokens, int off, int m, int startPos, float[] logits, boolean allLogits) {
        long id = sequenceOf(cache);
        check(cache, tokens, off, m, startPos, logits, allLogits);
        if (allLogits && m > StepCodec.MAX_TOKENS) {
            // chunks would overwrite each other's logit rows
            throw new IllegalArgumentException("all logits for " + m + " tokens: at most " + StepCodec.MAX_TOKENS
                    + " per call");
        }
        // Longer runs go in chunks of one step each, as the generator's prefill batches do, so a frame stays small.
        for (int done = 0; done < m; done += StepCodec.MAX_TOKENS) {
            int n = Math.min(StepCodec.MAX_TOKENS, m - done);
            send(Step.forward(id, startPos + done, Arrays.copyOfRange(tokens, off + done, off + done + n),
                    allLogits));
            shard.forward(cache, tokens, off + done, n, startPos + done, logits, allLogits);
        }
    }

    @Override
    public int prefillBatch() {
        return Math.min(shard.prefillBatch(), StepCodec.MAX_TOKENS);
    }

    /** All-logits runs are not split into steps (the chunks would overwrite each other's rows). */
    @Override
    public int maxAllLogitsTokens() {
        return StepCodec.MAX_TOKENS;
    }

    @Override
    public int maxBatchRows() {
        return StepCodec.MAX_ROWS;
    }

    @Override
    public void forwardBatch(DecodeBatch batch, float[] logits) {
        if (batch.size() > StepCodec.MAX_ROWS) {
            throw new IllegalArgumentException("a batch of " + batch.size() + " rows: at most " + StepCodec.MAX_ROWS
                    + " per step");
        }
        shard.checkBatch(batch, logits);
        rows.clear();
        for (int i = 0; i < batch.size(); i++) {
            rows.add(new Step.Row(sequenceOf(batch.cache(i)), batch.beam(i), batch.parent(i), batch.position(i),
                    batch.token(i)));
        }
        send(Step.batch(rows));
        shard.forwardBatch(batch, logits);
    }

    private void check(KvCache cache, int[] tokens, int off, int m, int startPos, float[] logits, boolean allLogits) {
        if (m <= 0 || off < 0 || off + m > tokens.length || startPos < 0) {
            throw new IllegalArgumentException("tokens [" + off + ", " + off + "+" + m + ") of " + tokens.length
                    + " at position " + startPos);
        }
        if (startPos + m > cache.sharedPositions()) {
            throw new IllegalArgumentException("positions up to " + (startPos + m) + " exceed the KV cache of "
                    + cache.sharedPositions() + (cache.beams() > 1 ? " shared (prompt) tokens" : " tokens"));
        }
        int vocab = config().vocabSize();
        if (logits.length < (allLogits ? m : 1) * (long) vocab) {
            throw new IllegalArgumentException("logits of " + logits.length + " floats for " + (allLogits ? m : 1)
                    + " rows of " + vocab);
        }
        for (int i = off; i < off + m; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocab) {
                throw new IllegalArgumentException("token id " + tokens[i] + " outside the vocabulary of " + vocab);
            }
        }
    }

    /**
     * Tells the followers the driver is alive without giving them work. An idle driver must call
     * this more often than the communicator's collective timeout, or the followers, waiting for
     * their next step inside a broadcast, time out.
     */
    public void keepAlive() {
        send(Step.keepAlive());
    }

    private void send(Step step) {
        if (shutDown) {
            throw new IllegalStateException("the followers were shut down");
        }
        StepCodec.encode(step, frame);
        comm.broadcast(frame, 0, frame.length, 0);
    }

    /** Tells the followers to leave their loop (once; later calls do nothing). Does not close the communicator. */
    @Override
    public void close() {
        if (!shutDown) {
            send(Step.shutdown());
            shutDown = true;
        }
    }
}
