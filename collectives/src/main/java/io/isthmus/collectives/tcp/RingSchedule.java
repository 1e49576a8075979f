package io.isthmus.collectives.tcp;

/**
 * The arithmetic of the ring algorithms: rank r sends to r+1 and receives from r−1 (mod N).
 *
 * <p>A message is cut into N chunks, chunk c starting at element c·length/N. A pass of N−1 steps
 * that starts from chunk {@code first} sends chunk first−s and receives chunk first−s−1 at step s.
 * Reduce-scatter is the pass from chunk r, adding what arrives: after it rank r holds the whole sum
 * of chunk r+1 ({@link #reducedChunk}). The all-gather pass starts from that chunk and overwrites
 * what arrives. allGather is the pass from chunk r over rank-sized blocks.
 */
record RingSchedule(int rank, int worldSize) {

    RingSchedule {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank " + rank + " outside a world of " + worldSize);
        }
    }

    int steps() {
        return worldSize - 1;
    }

    int successor() {
        return wrap(rank + 1);
    }

    int predecessor() {
        return wrap(rank - 1);
    }

    /** The chunk sent at {@code step} of a pass that starts from chunk {@code first}. */
    int sent(int step, int first) {
        return wrap(first - step);
    }

    /** The chunk received at {@code step} of a pass that starts from chunk {@code first}. */
    int received(int step, int first) {
        return wrap(first - step - 1);
    }

    /** The chunk whose whole sum this rank holds after reduce-scatter: where its all-gather pass starts. */
    int reducedChunk() {
        return successor();
    }

    /** Where chunk {@code chunk} of {@code length} elements starts (chunk worldSize: the end). */
    int chunkStart(int chunk, int length) {
        return (int) ((long) chunk * length / worldSize);
    }

    int chunkLength(int chunk, int length) {
        return chunkStart(chunk + 1, length) - chunkStart(chunk, length);
    }

    private int wrap(int value) {
        return Math.floorMod(value, worldSize);
    }
}
