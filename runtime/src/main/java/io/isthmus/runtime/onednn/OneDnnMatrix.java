package io.isthmus.runtime.onednn;

import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.RowProduct;
import io.isthmus.runtime.kernel.WeightMatrix;

import java.lang.foreign.Arena;
import java.util.concurrent.atomic.LongAdder;

/**
 * A weight matrix whose products of at least {@code minRows} rows (prefill) go through oneDNN;
 * smaller ones (decode) and everything else go to the matrix it wraps, whose Vector API kernels
 * stay the reference. Slices are slices of the wrapped matrix (a rank's shard is wrapped again
 * when it is bound).
 */
public final class OneDnnMatrix implements WeightMatrix {
    /** Time inside oneDNN products (activation conversions included), all matrices together: the benchmark's breakdown. */
    static final LongAdder NANOS = new LongAdder();
    private final WeightMatrix base;
    private final PreparedWeights prepared;
    private final int minRows;

    OneDnnMatrix(WeightMatrix base, PreparedWeights prepared, int minRows) {
        if (prepared.n != base.rows() || prepared.k != base.cols()) {
            throw new IllegalArgumentException(base.name() + ": prepared " + prepared.n + "×" + prepared.k
                    + " for a " + base.rows() + "×" + base.cols() + " matrix");
        }
        this.base = base;
        this.prepared = prepared;
        this.minRows = minRows;
    }

    /** The oneDNN path: {@code bf16}, {@code int8}, {@code decompress-s8-g4096}, {@code tiles-bf16}. */
    public String path() {
        return prepared.path();
    }

    /** The oneDNN implementation that multiplies m rows, e.g. {@code brg_matmul:avx10_1_512_amx}. */
    public String implementation(int m) {
        return prepared.implementation(m);
    }

    PreparedWeights prepared() {
        return prepared;
    }

    /** The product through oneDNN whatever m is (benchmarks, tests). */
    public void matmulOneDnn(ComputePool pool, float[] x, int xOff, int m, float[] y, int yOff) {
        prepared.multiply(pool, x, xOff, m, y, yOff);
    }

    @Override
    public boolean matmulWhole(ComputePool pool, float[] x, int xOff, int m, float[] y, int yOff) {
        if (m < minRows || !prepared.supports(m)) {
            return false;
        }
        long t0 = System.nanoTime();
        prepared.multiply(pool, x, xOff, m, y, yOff);
        NANOS.add(System.nanoTime() - t0);
        return true;
    }

    @Override
    public String name() {
        return base.name();
    }

    @Override
    public int rows() {
        return base.rows();
    }

    @Override
    public int cols() {
        return base.cols();
    }

    @Override
    public String format() {
        return base.format();
    }

    @Override
    public long byteSize() {
        return base.byteSize();
    }

    @Override
    public long formatBytes() {
        return base.formatBytes();
    }

    @Override
    public void matmul(float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
        base.matmul(x, xOff, m, y, yOff, rowFrom, rowTo);
    }

    @Override
    public RowProduct product(float[] x, int xOff, int m, float[] y, int yOff) {
        return base.product(x, xOff, m, y, yOff);
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        base.dequantizeRow(row, out, off);
    }

    @Override
    public void decodeRow(int row, float[] out, int off) {
        base.decodeRow(row, out, off);
    }

    @Override
    public int columnGrain() {
        return base.columnGrain();
    }

    @Override
    public WeightMatrix sliceRows(int from, int count) {
        return base.sliceRows(from, count);
    }

    @Override
    public WeightMatrix sliceColumns(int from, int count, Arena arena) {
        return base.sliceColumns(from, count, arena);
    }

    @Override
    public String toString() {
        return base.name() + " (" + base.format() + ", oneDNN " + prepared.path() + " for m >= " + minRows + ")";
    }
}
