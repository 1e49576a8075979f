package io.isthmus.runtime.quant.normalfloat;

import io.isthmus.runtime.quant.Calibration;

/**
 * Per input column, how much an error in a weight of that column costs the layer's output: the
 * calibration sensitivity (the diagonal of XᵀX), else Σ x² over the sampled inputs, else 1 for all.
 */
final class ColumnWeights {

    private ColumnWeights() {
    }

    /** Weights for the {@code cols} columns of {@code tensor}; an error names the tensor when a length is wrong. */
    static float[] of(Calibration calibration, String tensor, int cols) {
        float[] w = new float[cols];
        float[] sensitivity = calibration.sensitivity(tensor);
        if (sensitivity != null) {
            if (sensitivity.length != cols) {
                throw new IllegalArgumentException(tensor + ": calibration sensitivity has " + sensitivity.length
                        + " columns, the matrix " + cols);
            }
            System.arraycopy(sensitivity, 0, w, 0, cols);
            return w;
        }
        float[] samples = calibration.sampleInputs(tensor);
        if (samples != null) {
            if (samples.length % cols != 0) {
                throw new IllegalArgumentException(tensor + ": " + samples.length + " sampled input values are not rows of "
                        + cols + " columns");
            }
            for (int i = 0; i < samples.length; i++) {
                w[i % cols] += samples[i] * samples[i];
            }
            return w;
        }
        java.util.Arrays.fill(w, 1f);
        return w;
    }
}
