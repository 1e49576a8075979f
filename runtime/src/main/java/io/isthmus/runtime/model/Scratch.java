package io.isthmus.runtime.model;

/** Activation buffers for up to {@code rows} tokens of one rank's part of the model, grown on demand. */
final class Scratch {
    private final ModelConfig c;
    private final LocalDims d;
    private int rows;
    float[] x, xb, xb2, residual, q, k, v, qkv, att, hb, hb2;
    final float[][] scores;

    Scratch(ModelConfig c, LocalDims d, int workers) {
        this.c = c;
        this.d = d;
        this.scores = new float[workers][c.contextLength()];
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
    }
}
