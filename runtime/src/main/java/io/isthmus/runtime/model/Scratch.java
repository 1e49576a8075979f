package io.isthmus.runtime.model;

/** Activation buffers and row bookkeeping for up to {@code rows} tokens of one rank's part of the model, grown on demand. */
final class Scratch {
    private final ModelConfig c;
    private final LocalDims d;
    private int rows;
    float[] x, xb, xb2, residual, q, k, v, qkv, att, hb, hb2;
    final float[][] scores;
    /** Per worker: where each query head of a KV head's group starts in q and att. */
    final int[][] queryAt;
    /** Per row: its KV cache, beam, position and the cache entry its key and value go to. */
    KvCache[] rowCache;
    int[] rowBeam, rowPos, rowEntry;
    /** The first row's position when the rows are consecutive tokens of one sequence (a prompt chunk), else -1. */
    int sequenceStart = -1;
    /** Of a batch: the first row of each beam group, whether each row is in one, and how many rows are not. */
    int[] groupFirst;
    boolean[] inGroup;
    int rowsOutsideGroups;

    Scratch(ModelConfig c, LocalDims d, int workers) {
        this.c = c;
        this.d = d;
        // one row of scores per query head of a KV head's group (Transformer.attend takes a group at once)
        int group = Math.ceilDiv(c.heads(), c.kvHeads());
        this.scores = new float[workers][Math.multiplyExact(c.contextLength(), group)];
        this.queryAt = new int[workers][group];
        allocate(1);
    }

    Scratch ensure(int m) {
        if (m > rows) {
            allocate(m);
        }
        return this;
    }

    private void allocate(int m) {
        rows = m;
        int dim = c.dim();
        x = new float[m * dim];
        xb = new float[m * dim];
        xb2 = new float[m * dim];
        residual = new float[m * dim];
        int qDim = d.qDim(c);
        int kvDim = d.kvDim(c);
        q = new float[m * qDim];
        k = new float[m * kvDim];
        v = new float[m * kvDim];
        qkv = new float[m * (qDim + 2 * kvDim)];
        att = new float[m * qDim];
        hb = new float[m * d.ffnDim()];
        hb2 = new float[m * d.ffnDim()];
        rowCache = new KvCache[m];
        rowBeam = new int[m];
        rowPos = new int[m];
        rowEntry = new int[m];
        groupFirst = new int[m];
        inGroup = new boolean[m];
    }

    /**
     * Finds the beam groups among the m rows of a batch (a beam-search cache's rows, beam 0 first,
     * consecutive): fills {@link #groupFirst}, {@link #inGroup} and {@link #rowsOutsideGroups};
     * returns the number of groups.
     */
    int beamGroups(int m) {
        int groups = 0;
        int outside = 0;
        for (int i = 0; i < m; ) {
            int beams = rowCache[i].beams();
            if (beams > 1) {
                groupFirst[groups++] = i;
                java.util.Arrays.fill(inGroup, i, i + beams, true);
                i += beams;
            } else {
                inGroup[i] = false;
                outside++;
                i++;
            }
        }
        rowsOutsideGroups = outside;
        return groups;
    }

    /** Drops the rows' cache references, so a finished sequence's cache is not kept alive here. */
    void clearRows(int m) {
        java.util.Arrays.fill(rowCache, 0, m, null);
    }
}
