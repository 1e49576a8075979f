package io.isthmus.runtime.quant.sparse;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.RowProduct;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.quant.PackedMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A dense-and-sparse matrix ({@code NAME+sparseP}): a matrix of any packed family plus the outliers
 * it leaves out, kept exactly in CSR and added to its result. Its parts are the dense part's and
 * {@code csr.rows}, {@code csr.cols}, {@code csr.values}.
 */
public final class SparseMatrix implements PackedMatrix {

    private final FormatSpec spec;
    private final PackedMatrix dense;
    private final CsrOutliers outliers;

    public SparseMatrix(FormatSpec spec, PackedMatrix dense, CsrOutliers outliers) {
        this.spec = Objects.requireNonNull(spec);
        this.dense = Objects.requireNonNull(dense);
        this.outliers = Objects.requireNonNull(outliers);
        if (!spec.sparse()) {
            throw new IllegalArgumentException("tensor '" + dense.name() + "': " + spec + " is not a +sparse spec");
        }
        if (outliers.rows() != dense.rows() || outliers.cols() != dense.cols()) {
            throw new IllegalArgumentException("tensor '" + dense.name() + "': outliers of " + outliers.rows() + " x "
                    + outliers.cols() + " for a " + dense.rows() + " x " + dense.cols() + " matrix");
        }
    }

    /** The dense part. */
    public PackedMatrix dense() {
        return dense;
    }

    /** The exactly kept part. */
    public CsrOutliers outliers() {
        return outliers;
    }

    @Override
    public FormatSpec spec() {
        return spec;
    }

    @Override
    public String name() {
        return dense.name();
    }

    @Override
    public int rows() {
        return dense.rows();
    }

    @Override
    public int cols() {
        return dense.cols();
    }

    @Override
    public long byteSize() {
        return dense.byteSize() + outliers.byteSize();
    }

    @Override
    public Map<String, MemorySegment> parts() {
        Map<String, MemorySegment> parts = new LinkedHashMap<>(dense.parts());
        parts.putAll(outliers.parts());
        return parts;
    }

    @Override
    public void matmul(float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
        product(x, xOff, m, y, yOff).rows(rowFrom, rowTo);
    }

    @Override
    public RowProduct product(float[] x, int xOff, int m, float[] y, int yOff) {
        RowProduct denseRows = dense.product(x, xOff, m, y, yOff);
        return (rowFrom, rowTo) -> {
            denseRows.rows(rowFrom, rowTo);
            outliers.addTo(x, xOff, m, y, yOff, rowFrom, rowTo);
        };
    }

    @Override
    public boolean matmulWhole(ComputePool pool, float[] x, int xOff, int m, float[] y, int yOff) {
        if (!dense.matmulWhole(pool, x, xOff, m, y, yOff)) {
            return false;
        }
        outliers.addTo(x, xOff, m, y, yOff, 0, rows());
        return true;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        dense.dequantizeRow(row, out, off);
        outliers.addRow(row, out, off);
    }

    @Override
    public int columnGrain() {
        return dense.columnGrain();
    }

    @Override
    public SparseMatrix sliceRows(int from, int count) {
        return new SparseMatrix(spec, packed(dense.sliceRows(from, count)), outliers.sliceRows(from, count));
    }

    @Override
    public SparseMatrix sliceColumns(int from, int count, Arena arena) {
        return new SparseMatrix(spec, packed(dense.sliceColumns(from, count, arena)), outliers.sliceColumns(from, count));
    }

    private PackedMatrix packed(WeightMatrix slice) {
        if (slice instanceof PackedMatrix p) {
            return p;
        }
        throw new IllegalStateException("tensor '" + name() + "': a slice of its " + dense.spec()
                + " part is not a packed matrix (" + slice.getClass().getName() + ")");
    }

    @Override
    public String toString() {
        return "SparseMatrix[" + name() + ", " + spec + ", " + rows() + " x " + cols() + ", " + outliers.nonZeros() + " outliers]";
    }
}
