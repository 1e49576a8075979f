package io.isthmus.runtime.kernel;

import java.lang.foreign.Arena;

/**
 * A weight matrix of {@link #rows()} × {@link #cols()} in some storage format (a GGUF type, or one of
 * the packed formats of {@code quant}) that {@link Linear} multiplies by: {@code y = x · Wᵀ}.
 * Implementations are immutable and safe to read from many threads.
 */
public interface WeightMatrix {

    /** Canonical tensor name, e.g. {@code blk.0.ffn_down.weight}. */
    String name();

    /** Output dimension. */
    int rows();

    /** Input dimension. */
    int cols();

    /** The format's spec string, as model.yaml names it: {@code f16}, {@code q8_0}, {@code nf4-g64}, {@code lut3+sparse0.45}. */
    String format();

    /** Bytes one full product reads: codes, scales, tables and outliers. */
    long byteSize();

    /**
     * Bytes of the matrix in its format's own encoding, as a file stores it: what bits per weight
     * are counted from. The same as {@link #byteSize} unless the matrix is held in a wider layout
     * made for speed (a repacked Q6_K's byte per code).
     */
    default long formatBytes() {
        return byteSize();
    }

    /**
     * {@code y[i][r] = Σ_c W[r][c]·x[i][c]} for {@code r} in {@code [rowFrom, rowTo)} and every
     * {@code i < m}; x holds m rows of {@link #cols()} floats from {@code xOff}, y m rows of
     * {@link #rows()} floats from {@code yOff}. Other entries of y are left alone, so disjoint row
     * ranges may run on different threads.
     */
    void matmul(float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo);

    /**
     * The same product made ready for a pool's threads, which then compute it range by range
     * ({@link RowProduct#rows}): whatever the kernel derives from x (a rewritten or padded copy) is
     * derived here, once, on the calling thread, instead of once per range. The default derives
     * nothing and calls {@link #matmul} per range.
     */
    default RowProduct product(float[] x, int xOff, int m, float[] y, int yOff) {
        return (rowFrom, rowTo) -> matmul(x, xOff, m, y, yOff, rowFrom, rowTo);
    }

    /**
     * The whole product through a path with its own threads (oneDNN's OpenMP team), for {@code m}
     * rows; false when this matrix has none for m, and the caller splits {@link #matmul} over its
     * pool. The path may use {@code pool} for its own data preparation, and must leave the pool's
     * workers idle ({@link ComputePool#quiesce()}) while its threads run on the same cores.
     */
    default boolean matmulWhole(ComputePool pool, float[] x, int xOff, int m, float[] y, int yOff) {
        return false;
    }

    /** Row {@code row} as floats into {@code out[off..off + cols())}: the plain scalar path. */
    void dequantizeRow(int row, float[] out, int off);

    /**
     * The same values as {@link #dequantizeRow}, as fast as the format decodes them (vectors where it
     * has a decoder): what dequantized tiles for oneDNN call for every row of every product.
     */
    default void decodeRow(int row, float[] out, int off) {
        dequantizeRow(row, out, off);
    }

    /** Column slices must start at a multiple of this (a quantization block or group) and end at one or at {@link #cols()}. */
    int columnGrain();

    /** Output rows {@code [from, from + count)}, sharing this matrix's memory where the format allows. */
    WeightMatrix sliceRows(int from, int count);

    /** Input columns {@code [from, from + count)} of every row, copied into memory from {@code arena}. */
    WeightMatrix sliceColumns(int from, int count, Arena arena);

    /** All values, row after row (tests and conversions). */
    default float[] dequantizeAll() {
        float[] out = new float[Math.multiplyExact(rows(), cols())];
        for (int r = 0; r < rows(); r++) {
            dequantizeRow(r, out, r * cols());
        }
        return out;
    }
}
