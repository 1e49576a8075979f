package io.isthmus.runtime.eval;

import io.isthmus.runtime.kernel.Ops;

/** −log softmax(logits)[target] for one row of logits (the exponentials summed as llama.cpp does, in double across lanes). */
final class NextTokenLoss {
    private NextTokenLoss() {
    }

    static double nll(float[] logits, int off, int vocab, int target) {
        float max = Ops.max(logits, off, vocab);
        double sum = Ops.sumExp(logits, off, vocab, max);
        return -(logits[off + target] - max - Math.log(sum));
    }
}
