package io.isthmus.runtime.cluster;

import io.isthmus.runtime.model.KvCacheType;

import java.util.Arrays;
import java.util.Objects;

/**
 * One instruction from the driver (rank 0) to every follower, broadcast before the driver runs it
 * itself: start a sequence, run a forward pass over a few of its tokens, or stop.
 *
 * @param kind      what to do
 * @param sequence  the sequence the step belongs to (0 for {@link Kind#SHUTDOWN})
 * @param position  the first token's position in the sequence (forward steps)
 * @param tokens    the token ids to run (forward steps; empty otherwise), at most {@link StepCodec#MAX_TOKENS}
 * @param allLogits whether the forward pass produces every token's logits or the last one's
 * @param capacity  the KV cache's capacity in tokens ({@link Kind#NEW_SEQUENCE}; 0 otherwise)
 * @param cacheType the KV cache's element type ({@link Kind#NEW_SEQUENCE}; null otherwise): the
 *                  driver's choice travels with the step, so ranks cannot disagree on it
 */
public record Step(Kind kind, long sequence, int position, int[] tokens, boolean allLogits, int capacity,
                   KvCacheType cacheType) {

    public enum Kind {
        /** Create an empty KV cache for a new sequence; it replaces the previous sequence's. */
        NEW_SEQUENCE,
        /** A forward pass over up to {@link StepCodec#MAX_TOKENS} prompt tokens. */
        PREFILL,
        /** A forward pass over one generated token. */
        DECODE,
        /** Leave the follower loop. */
        SHUTDOWN,
        /**
         * Nothing to run: sent by an idle driver more often than the collective timeout, because a
         * follower waits for its next step inside a broadcast, which fails after that timeout.
         */
        KEEP_ALIVE
    }

    private static final int[] NO_TOKENS = new int[0];

    public Step {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(tokens, "tokens");
        if (sequence < 0 || position < 0 || capacity < 0) {
            throw new IllegalArgumentException("negative sequence " + sequence + ", position " + position
                    + " or capacity " + capacity);
        }
        int expected = switch (kind) {
            case NEW_SEQUENCE, SHUTDOWN, KEEP_ALIVE -> 0;
            case DECODE -> 1;
            case PREFILL -> tokens.length; // checked below
        };
        if (tokens.length != expected || tokens.length > StepCodec.MAX_TOKENS
                || (kind == Kind.PREFILL && tokens.length == 0)) {
            throw new IllegalArgumentException(kind + " with " + tokens.length + " tokens");
        }
        if ((kind == Kind.NEW_SEQUENCE) != (cacheType != null) || (kind == Kind.NEW_SEQUENCE) != (capacity > 0)) {
            throw new IllegalArgumentException(kind + " with capacity " + capacity + " and cache type " + cacheType);
        }
    }

    public static Step newSequence(long sequence, KvCacheType cacheType, int capacity) {
        return new Step(Kind.NEW_SEQUENCE, sequence, 0, NO_TOKENS, false, capacity, cacheType);
    }

    /** PREFILL for several tokens, DECODE for one: the two differ only in name (and in timing, to a reader of logs). */
    public static Step forward(long sequence, int position, int[] tokens, boolean allLogits) {
        return new Step(tokens.length == 1 ? Kind.DECODE : Kind.PREFILL, sequence, position, tokens, allLogits, 0, null);
    }

    public static Step shutdown() {
        return new Step(Kind.SHUTDOWN, 0, 0, NO_TOKENS, false, 0, null);
    }

    public static Step keepAlive() {
        return new Step(Kind.KEEP_ALIVE, 0, 0, NO_TOKENS, false, 0, null);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Step s && kind == s.kind && sequence == s.sequence && position == s.position
                && Arrays.equals(tokens, s.tokens) && allLogits == s.allLogits && capacity == s.capacity
                && cacheType == s.cacheType;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, sequence, position, Arrays.hashCode(tokens), allLogits, capacity, cacheType);
    }

    @Override
    public String toString() {
        return kind + "(sequence " + sequence + switch (kind) {
            case NEW_SEQUENCE -> ", " + capacity + " tokens of " + cacheType;
            case PREFILL, DECODE -> ", position " + position + ", tokens " + Arrays.toString(tokens)
                    + (allLogits ? ", all logits" : "");
            case SHUTDOWN, KEEP_ALIVE -> "";
        } + ")";
    }
}
