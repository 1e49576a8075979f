package io.isthmus.runtime.eval;

/** −log softmax(logits)[target] for one row of logits, summed in double as llama.cpp does. */
final class NextTokenLoss {
    private NextTokenLoss() {
    }

    static double nll(float[] logits, int off, int vocab, int target) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = off; i < off + vocab; i++) {
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (int i = off; i < off + vocab; i++) {
            sum += Math.exp(logits[i] - max);
        }
        return -(logits[off + target] - max - Math.log(sum));
    }
}
