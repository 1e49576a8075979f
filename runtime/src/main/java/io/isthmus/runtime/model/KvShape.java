package io.isthmus.runtime.model;

/**
 * How a {@link KvCache} is laid out: positions per sequence, and for beam search how many beams
 * share the first {@code sharedPositions} positions (the prompt) before each keeps its own.
 *
 * @param capacity        positions of one sequence (one beam)
 * @param beams           1 for a plain sequence; B for beam search
 * @param sharedPositions positions stored once for every beam; equal to capacity when beams is 1
 */
public record KvShape(int capacity, int beams, int sharedPositions) {

    public KvShape {
        if (capacity <= 0 || beams <= 0 || sharedPositions < 0 || sharedPositions > capacity) {
            throw new IllegalArgumentException("KV cache of " + capacity + " positions, " + beams + " beams, "
                    + sharedPositions + " shared positions: need capacity > 0, beams > 0, 0 <= shared <= capacity");
        }
        if (beams == 1 && sharedPositions != capacity) {
            throw new IllegalArgumentException("a single-beam KV cache shares all of its " + capacity
                    + " positions, not " + sharedPositions);
        }
    }

    /** One sequence of {@code capacity} positions. */
    public static KvShape single(int capacity) {
        return new KvShape(capacity, 1, capacity);
    }

    /** {@code beams} beams sharing a prompt of {@code prompt} positions, each growing to {@code capacity}. */
    public static KvShape beams(int prompt, int beams, int capacity) {
        return beams == 1 ? single(capacity) : new KvShape(capacity, beams, prompt);
    }

    /** Key/value entries the cache stores: the shared positions once, the rest once per beam. */
    public long entries() {
        return sharedPositions + (long) beams * (capacity - sharedPositions);
    }
}
