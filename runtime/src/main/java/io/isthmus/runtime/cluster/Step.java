package io.isthmus.runtime.cluster;

import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.model.KvShape;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One instruction from the driver (rank 0) to every follower, broadcast before the driver runs it
 * itself: start a sequence, run a forward pass over a few of its tokens or over a batch of rows of
 * several sequences, release a sequence, or stop.
 *
 * @param kind      what to do
 * @param sequence  the sequence the step belongs to (NEW_SEQUENCE, PREFILL, DECODE, RELEASE; 0 otherwise)
 * @param position  the first token's position in the sequence (PREFILL, DECODE)
 * @param tokens    the token ids to run (PREFILL, DECODE; empty otherwise), at most {@link StepCodec#MAX_TOKENS}
 * @param allLogits whether the forward pass produces every token's logits or the last one's
 * @param cacheType the KV cache's element type (NEW_SEQUENCE; null otherwise): the driver's
 *                  choice travels with the step, so ranks cannot disagree on it
 * @param shape     the KV cache's layout: capacity, beams, shared prompt (NEW_SEQUENCE; null otherwise)
 * @param rows      the rows of a BATCH step, at most {@link StepCodec#MAX_ROWS} (empty otherwise)
 */
public record Step(Kind kind, long sequence, int position, int[] tokens, boolean allLogits, KvCacheType cacheType,
                   KvShape shape, List<Row> rows) {

    public enum Kind {
        /** Create an empty KV cache for a new sequence; other live sequences stay. */
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
        KEEP_ALIVE,
        /** One forward pass over rows of several sequences or beams, one token each. */
        BATCH,
        /** Free a sequence's KV cache. */
        RELEASE
    }

    /** One row of a BATCH step: {@code token} at {@code position} of beam {@code beam} (continuing {@code parent}) of a sequence. */
    public record Row(long sequence, int beam, int parent, int position, int token) {
        public Row {
            if (sequence < 0 || position < 0 || beam < 0 || parent < 0 || beam > 0xffff || parent > 0xffff) {
                throw new IllegalArgumentException("batch row of sequence " + sequence + ", beam " + beam + ", parent "
                        + parent + ", position " + position);
            }
        }
    }

    private static final int[] NO_TOKENS = new int[0];

    public Step {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(tokens, "tokens");
        rows = List.copyOf(rows);
        if (sequence < 0 || position < 0) {
            throw new IllegalArgumentException("negative sequence " + sequence + " or position " + position);
        }
        int expected = switch (kind) {
            case NEW_SEQUENCE, SHUTDOWN, KEEP_ALIVE, BATCH, RELEASE -> 0;
            case DECODE -> 1;
            case PREFILL -> tokens.length; // checked below
        };
        if (tokens.length != expected || tokens.length > StepCodec.MAX_TOKENS
                || (kind == Kind.PREFILL && tokens.length == 0)) {
            throw new IllegalArgumentException(kind + " with " + tokens.length + " tokens");
        }
        if ((kind == Kind.NEW_SEQUENCE) != (cacheType != null) || (kind == Kind.NEW_SEQUENCE) != (shape != null)) {
            throw new IllegalArgumentException(kind + " with cache " + shape + " of " + cacheType);
        }
        if ((kind == Kind.BATCH) != !rows.isEmpty() || rows.size() > StepCodec.MAX_ROWS) {
            throw new IllegalArgumentException(kind + " with " + rows.size() + " rows (a batch has 1.."
                    + StepCodec.MAX_ROWS + ")");
        }
    }

    public static Step newSequence(long sequence, KvCacheType cacheType, KvShape shape) {
        return new Step(Kind.NEW_SEQUENCE, sequence, 0, NO_TOKENS, false, cacheType, shape, List.of());
    }

    public static Step newSequence(long sequence, KvCacheType cacheType, int capacity) {
        return newSequence(sequence, cacheType, KvShape.single(capacity));
    }

    /** PREFILL for several tokens, DECODE for one: the two differ only in name (and in timing, to a reader of logs). */
    public static Step forward(long sequence, int position, int[] tokens, boolean allLogits) {
        return new Step(tokens.length == 1 ? Kind.DECODE : Kind.PREFILL, sequence, position, tokens, allLogits, null,
                null, List.of());
    }

    public static Step batch(List<Row> rows) {
        return new Step(Kind.BATCH, 0, 0, NO_TOKENS, true, null, null, rows);
    }

    public static Step release(long sequence) {
        return new Step(Kind.RELEASE, sequence, 0, NO_TOKENS, false, null, null, List.of());
    }

    public static Step shutdown() {
        return new Step(Kind.SHUTDOWN, 0, 0, NO_TOKENS, false, null, null, List.of());
    }

    public static Step keepAlive() {
        return new Step(Kind.KEEP_ALIVE, 0, 0, NO_TOKENS, false, null, null, List.of());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Step s && kind == s.kind && sequence == s.sequence && position == s.position
                && Arrays.equals(tokens, s.tokens) && allLogits == s.allLogits && cacheType == s.cacheType
                && Objects.equals(shape, s.shape) && rows.equals(s.rows);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, sequence, position, Arrays.hashCode(tokens), allLogits, cacheType, shape, rows);
    }

    @Override
    public String toString() {
        return kind + "(" + switch (kind) {
            case NEW_SEQUENCE -> "sequence " + sequence + ", " + shape.capacity() + " tokens of " + cacheType
                    + (shape.beams() > 1 ? ", " + shape.beams() + " beams sharing " + shape.sharedPositions() : "");
            case PREFILL, DECODE -> "sequence " + sequence + ", position " + position + ", tokens "
                    + Arrays.toString(tokens) + (allLogits ? ", all logits" : "");
            case BATCH -> rows.size() + " rows: " + rows;
            case RELEASE -> "sequence " + sequence;
            case SHUTDOWN, KEEP_ALIVE -> "";
        } + ")";
    }
}
