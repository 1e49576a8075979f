package io.isthmus.runtime.kernel;

/**
 * One product of x rows with a weight matrix ({@link WeightMatrix#product}), ready to compute any
 * range of its output rows from any thread: what the kernel derives from x was derived once, when
 * the product was made, and is only read here.
 */
@FunctionalInterface
public interface RowProduct {

    /** Output rows {@code [rowFrom, rowTo)} of the product into its y, as {@link WeightMatrix#matmul} writes them. */
    void rows(int rowFrom, int rowTo);
}
