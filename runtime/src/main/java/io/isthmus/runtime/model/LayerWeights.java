package io.isthmus.runtime.model;

/**
 * One transformer block's weights. Either {@code qkv} (fused) or {@code q}, {@code k}, {@code v}
 * is set; {@code gate} only for SwiGLU.
 */
record LayerWeights(Norm attnNorm, Linear q, Linear k, Linear v, Linear qkv, Linear out,
                    Norm ffnNorm, Linear gate, Linear up, Linear down) {

    long weightBytes() {
        long b = out.weightBytes() + up.weightBytes() + down.weightBytes();
        for (Linear l : new Linear[] {q, k, v, qkv, gate}) {
            if (l != null) {
                b += l.weightBytes();
            }
        }
        return b;
    }
}
