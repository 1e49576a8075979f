package io.isthmus.runtime.cluster;

import io.isthmus.collectives.Communicator;
import io.isthmus.runtime.model.DecodeBatch;
import io.isthmus.runtime.model.KvCache;
import io.isthmus.runtime.model.Transformer;

import java.util.HashMap;
import java.util.Map;

/**
 * The life of a rank other than 0: receive each {@link Step} the {@link DriverForward} broadcasts
 * and run it on this rank's shard with the same arguments, until {@link Step.Kind#SHUTDOWN}.
 * The KV cache type and layout come with each NEW_SEQUENCE step, so they are the driver's; the
 * caches of live sequences are kept by sequence id until a RELEASE step.
 */
public final class Follower {
    private final Transformer shard;
    private final Communicator comm;
    private final byte[] frame = new byte[StepCodec.FRAME_BYTES];
    private final Map<Long, KvCache> caches = new HashMap<>();
    private final DecodeBatch batch = new DecodeBatch();
    private float[] logits = new float[0];
    private long steps;

    private Follower(Transformer shard, Communicator comm) {
        if (comm.rank() == 0) {
            throw new IllegalArgumentException("rank 0 is the driver, not a follower");
        }
        this.shard = shard;
        this.comm = comm;
    }

    /**
     * Follows the driver until it shuts the group down; returns the number of steps run (SHUTDOWN
     * included). A step this rank cannot run fails the rank: the communicator is closed, so peers
     * that support it fail at once (the others at their collective timeout), and the exception,
     * naming this rank and the step, is thrown.
     */
    public static long run(Transformer shard, Communicator comm) {
        return new Follower(shard, comm).loop();
    }

    private long loop() {
        Step step = null;
        try {
            while (true) {
                comm.broadcast(frame, 0, frame.length, 0);
                step = StepCodec.decode(frame);
                steps++;
                if (step.kind() == Step.Kind.SHUTDOWN) {
                    return steps;
                }
                apply(step);
            }
        } catch (RuntimeException | Error e) {
            comm.close();
            throw new IllegalStateException("follower rank " + comm.rank() + " failed at step " + steps
                    + (step == null ? "" : " " + step) + ": " + e.getMessage(), e);
        }
    }

    private void apply(Step step) {
        switch (step.kind()) {
            case NEW_SEQUENCE -> {
                if (caches.containsKey(step.sequence())) {
                    throw new IllegalStateException("sequence " + step.sequence() + " exists already");
                }
                caches.put(step.sequence(), shard.newCache(step.cacheType(), step.shape()));
            }
            case RELEASE -> cache(step.sequence()); // checks it is live
            case PREFILL, DECODE -> {
                int m = step.tokens().length;
                shard.forward(cache(step.sequence()), step.tokens(), 0, m, step.position(),
                        logits((step.allLogits() ? m : 1)), step.allLogits());
            }
            case BATCH -> {
                batch.clear();
                for (Step.Row r : step.rows()) {
                    batch.add(cache(r.sequence()), r.beam(), r.parent(), r.position(), r.token());
                }
                shard.forwardBatch(batch, logits(batch.size()));
                batch.clear();
            }
            case KEEP_ALIVE -> {
            }
            case SHUTDOWN -> throw new AssertionError("handled by the loop");
        }
        if (step.kind() == Step.Kind.RELEASE) {
            caches.remove(step.sequence());
        }
    }

    private KvCache cache(long sequence) {
        KvCache c = caches.get(sequence);
        if (c == null) {
            throw new IllegalStateException("a step of sequence " + sequence + ", which this rank does not hold (live: "
                    + caches.keySet() + ")");
        }
        return c;
    }

    /** The logits buffer, grown to {@code rows} rows: only rank 0 reads logits, the others discard them. */
    private float[] logits(int rows) {
        int need = rows * shard.config().vocabSize();
        if (logits.length < need) {
            logits = new float[need];
        }
        return logits;
    }
}
