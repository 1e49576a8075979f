package io.isthmus.runtime.model;

/**
 * Sees the input of every weight-matrix product of a forward pass (calibration collects statistics
 * of them). Called on the thread that drives the forward pass, before the product.
 */
@FunctionalInterface
public interface InputObserver {

    /** {@code x} holds {@code m} rows of {@code cols} floats, the inputs of matrix {@code weight}. */
    void observe(String weight, float[] x, int m, int cols);
}
