package io.isthmus.runtime.model;

/**
 * One transformer block's weights. Either {@code qkv} (fused) or {@code q}, {@code k}, {@code v}
 * is set; {@code gate} only for SwiGLU.
 */
record LayerWeights(Norm attnNorm, Projection q, Projection k, Projection v, Projection qkv, Projection out,
                    Norm ffnNorm, Projection gate, Projection up, Projection down) {

    long weightBytes() {
        long b = out.weightBytes() + up.weightBytes() + down.weightBytes();
        for (Projection l : new Projection[] {q, k, v, qkv, gate}) {
            if (l != null) {
                b += l.weightBytes();
            }
        }
        return b;
    }

    /** Q, K and V, computed together in one parallel region. */
    Projection[] qkvParts() {
        return new Projection[] {q, k, v};
    }

    /** Gate and up, computed together in one parallel region. */
    Projection[] gateUp() {
        return new Projection[] {gate, up};
    }
}
