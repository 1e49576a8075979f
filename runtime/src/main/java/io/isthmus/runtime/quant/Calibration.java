package io.isthmus.runtime.quant;

/**
 * What calibration text, run forward through the model, tells the quantizers about the inputs of
 * each weight matrix. Sensitivity is the diagonal of XᵀX over the calibration tokens (a
 * second-moment proxy for the Hessian/Fisher of the layer's output error, DESIGN.md §4).
 */
public interface Calibration {

    /** Σ_t x_t[c]² for each input column c of {@code tensorName}, or null when it was not observed. */
    float[] sensitivity(String tensorName);

    /**
     * A sample of input rows of {@code tensorName} (each {@code cols} floats, row-major), for searches
     * that minimise the layer's output error; null when none were kept.
     */
    float[] sampleInputs(String tensorName);
}
