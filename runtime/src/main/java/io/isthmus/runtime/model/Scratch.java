package io.isthmus.runtime.model;

/** Activation buffers for up to {@code rows} tokens, grown on demand. */
final class Scratch {
    private final ModelConfig c;
    private int rows;
    float[] x, xb, xb2, residual, q, k, v, qkv, att, hb, hb2;
    final float[][] scores;

    Scratch(ModelConfig c, int workers) {
        this.c = c;
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
        q = new float[m * c.qDim()];
        k = new float[m * c.kvDim()];
        v = new float[m * c.kvDim()];
        qkv = new float[m * (c.qDim() + 2 * c.kvDim())];
        att = new float[m * c.qDim()];
        hb = new float[m * c.ffnDim()];
        hb2 = new float[m * c.ffnDim()];
    }
}
