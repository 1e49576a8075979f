package io.isthmus.runtime.model;

import java.util.Arrays;

/**
 * Rows of one batched forward pass, one token each: rows may belong to different sequences at
 * different positions, each with its own {@link KvCache}; the rows of a beam-search cache come
 * together, beams 0..B-1 in order at one position, each naming the beam of the previous step it
 * continues. Reused from step to step ({@link #clear}), so a decode loop allocates nothing.
 */
public final class DecodeBatch {
    private KvCache[] caches = new KvCache[4];
    private int[] beams = new int[4];
    private int[] parents = new int[4];
    private int[] positions = new int[4];
    private int[] tokens = new int[4];
    private int size;

    public void clear() {
        Arrays.fill(caches, 0, size, null);
        size = 0;
    }

    public int size() {
        return size;
    }

    /** A row of a plain sequence: {@code token} at {@code position} of {@code cache}. */
    public DecodeBatch add(KvCache cache, int position, int token) {
        return add(cache, 0, 0, position, token);
    }

    /**
     * A row of any sequence: {@code token} at {@code position} of beam {@code beam} of {@code cache},
     * continuing beam {@code parent} of the previous step (0 and 0 for a plain sequence). Throws when
     * the row breaks the order beam-search rows must come in.
     */
    public DecodeBatch add(KvCache cache, int beam, int parent, int position, int token) {
        int b = cache.beams();
        if (beam < 0 || beam >= b || parent < 0 || parent >= b) {
            throw new IllegalArgumentException("beam " + beam + " continuing beam " + parent + " of a cache with " + b);
        }
        if (beam > 0 && (size == 0 || caches[size - 1] != cache || beams[size - 1] != beam - 1
                || positions[size - 1] != position)) {
            throw new IllegalArgumentException("beam " + beam + " at position " + position
                    + " must follow beam " + (beam - 1) + " of the same cache at the same position");
        }
        if (beam == 0 && size > 0 && caches[size - 1].beams() > 1 && beams[size - 1] != caches[size - 1].beams() - 1) {
            throw incompleteGroup(size - 1);
        }
        if (size == caches.length) {
            int n = 2 * size;
            caches = Arrays.copyOf(caches, n);
            beams = Arrays.copyOf(beams, n);
            parents = Arrays.copyOf(parents, n);
            positions = Arrays.copyOf(positions, n);
            tokens = Arrays.copyOf(tokens, n);
        }
        caches[size] = cache;
        beams[size] = beam;
        parents[size] = parent;
        positions[size] = position;
        tokens[size] = token;
        size++;
        return this;
    }

    /** Throws unless every beam-search cache in the batch has all of its beams. */
    public void checkComplete() {
        if (size > 0 && caches[size - 1].beams() > 1 && beams[size - 1] != caches[size - 1].beams() - 1) {
            throw incompleteGroup(size - 1);
        }
    }

    private IllegalArgumentException incompleteGroup(int row) {
        return new IllegalArgumentException("row " + row + ": a beam-search step needs all "
                + caches[row].beams() + " beams, got " + (beams[row] + 1));
    }

    public KvCache cache(int row) {
        return caches[row];
    }

    public int beam(int row) {
        return beams[row];
    }

    public int parent(int row) {
        return parents[row];
    }

    public int position(int row) {
        return positions[row];
    }

    public int token(int row) {
        return tokens[row];
    }

    /** The parent column; a beam group's parents start at its beam-0 row. */
    int[] parents() {
        return parents;
    }
}
