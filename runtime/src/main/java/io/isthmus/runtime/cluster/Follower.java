package io.isthmus.runtime.cluster;

import io.isthmus.collectives.Communicator;
import io.isthmus.runtime.model.KvCache;
import io.isthmus.runtime.model.Transformer;

/**
 * The life of a rank other than 0: receive each {@link Step} the {@link DriverForward} broadcasts
 * and run it on this rank's shard with the same arguments, until {@link Step.Kind#SHUTDOWN}.
 * The KV cache type and capacity come with each NEW_SEQUENCE step, so they are the driver's.
 */
public final class Follower {
    private final Transformer shard;
    private final Communicator comm;
    private final byte[] frame = new byte[StepCodec.FRAME_BYTES];
    private float[] logits = new float[0];
    private KvCache cache;
    private long sequence = -1;
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
                cache = null; // let the previous sequence's cache go before allocating the next
                cache = shard.newCache(step.cacheType(), step.capacity());
                sequence = step.sequence();
            }
            case PREFILL, DECODE -> {
                if (cache == null || step.sequence() != sequence) {
                    throw new IllegalStateException("a step of sequence " + step.sequence()
                            + " but the current sequence is " + (cache == null ? "none" : sequence));
                }
                int m = step.tokens().length;
                int need = (step.allLogits() ? m : 1) * shard.config().vocabSize();
                if (logits.length < need) {
                    logits = new float[need];
                }
                shard.forward(cache, step.tokens(), 0, m, step.position(), logits, step.allLogits());
            }
            case KEEP_ALIVE -> {
            }
            case SHUTDOWN -> throw new AssertionError("handled by the loop");
        }
    }
}
