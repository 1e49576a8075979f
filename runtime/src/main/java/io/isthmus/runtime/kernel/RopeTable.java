package io.isthmus.runtime.kernel;

/** cos/sin of every RoPE angle for positions {@code [0, maxPositions)}, computed once per model. */
public final class RopeTable {

    private final int maxPositions;
    private final int ropeDims;
    private final float[] cos;
    private final float[] sin;

    public RopeTable(int maxPositions, int ropeDims, double theta, double freqScale) {
        if (maxPositions <= 0 || ropeDims <= 0 || (ropeDims & 1) != 0) {
            throw new IllegalArgumentException("bad RoPE table: positions " + maxPositions + ", dims " + ropeDims);
        }
        this.maxPositions = maxPositions;
        this.ropeDims = ropeDims;
        int half = ropeDims / 2;
        this.cos = new float[maxPositions * half];
        this.sin = new float[maxPositions * half];
        for (int p = 0; p < maxPositions; p++) {
            Rope.angles(p, ropeDims, theta, freqScale, cos, sin, p * half);
        }
    }

    public int maxPositions() {
        return maxPositions;
    }

    public int ropeDims() {
        return ropeDims;
    }

    /** As {@link Rope#rope}, with this table's dims, theta and scale. */
    public void apply(float[] vec, int off, int nHeads, int headDim, int pos, RopeStyle style) {
        Rope.checkDims(headDim, ropeDims);
        if (pos < 0 || pos >= maxPositions) {
            throw new IndexOutOfBoundsException("position " + pos + " outside the RoPE table of " + maxPositions);
        }
        Rope.rotate(vec, off, nHeads, headDim, ropeDims, cos, sin, pos * (ropeDims / 2), style);
    }
}
