package io.isthmus.runtime.quant.sparse;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The exactly kept values of a dense-and-sparse matrix in compressed sparse rows: row r's entries
 * are {@code colIndex[j]}, {@code values[j]} for j in {@code [rowStart[r], rowStart[r + 1])}. Row
 * slices share the arrays (their row pointers keep absolute offsets); column slices filter them.
 * The arrays live on the heap: they are small (a fraction of a percent of the matrix) and the
 * product reads them by index.
 */
public final class CsrOutliers {

    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int rows;
    private final int cols;
    private final int[] rowStart;
    private final int[] colIndex;
    private final float[] values;

    private CsrOutliers(int rows, int cols, int[] rowStart, int[] colIndex, float[] values) {
        this.rows = rows;
        this.cols = cols;
        this.rowStart = rowStart;
        this.colIndex = colIndex;
        this.values = values;
    }

    /**
     * The positions set in {@code outliers} (bit {@code r * cols + c}) of the row-major {@code w},
     * each stored as its difference from {@code dense[r][c]}, chosen so that adding it back to the
     * dense value gives the original exactly.
     */
    static CsrOutliers of(float[] w, int rows, int cols, BitSet outliers, DenseRows dense) {
        int nnz = outliers.cardinality();
        int[] rowStart = new int[rows + 1];
        int[] colIndex = new int[nnz];
        float[] values = new float[nnz];
        float[] row = new float[cols];
        int j = 0;
        for (int r = 0; r < rows; r++) {
            int p = outliers.nextSetBit(r * cols);
            if (p >= 0 && p < (r + 1) * cols) {
                dense.row(r, row);
                for (; p >= 0 && p < (r + 1) * cols; p = outliers.nextSetBit(p + 1)) {
                    int c = p - r * cols;
                    colIndex[j] = c;
                    values[j] = exactDifference(w[p], row[c]);
                    j++;
                }
            }
            rowStart[r + 1] = j;
        }
        return new CsrOutliers(rows, cols, rowStart, colIndex, values);
    }

    /** The dense part's rows, for {@link #of}. */
    interface DenseRows {
        void row(int r, float[] out);
    }

    /** A v with {@code dense + v == target} in float arithmetic (target − dense, nudged by an ulp or two when rounding loses it). */
    static float exactDifference(float target, float dense) {
        float v = target - dense;
        for (int step = 0; step < 4 && dense + v != target; step++) {
            v = dense + v < target ? Math.nextUp(v) : Math.nextDown(v);
        }
        return v;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Stored entries. */
    public int nonZeros() {
        return rowStart[rows] - rowStart[0];
    }

    /** Bytes the stored form takes: row pointers, column indices and values. */
    public long byteSize() {
        return 4L * (rows + 1) + 8L * nonZeros();
    }

    /**
     * {@code y[i][r] += Σ_j values[j]·x[i][colIndex[j]]} over the entries of rows r in
     * {@code [rowFrom, rowTo)}, x holding m rows of {@link #cols()} from xOff, y m rows of
     * {@link #rows()} from yOff.
     */
    public void addTo(float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
        Objects.checkFromToIndex(rowFrom, rowTo, rows);
        Objects.checkFromIndexSize(xOff, (long) m * cols > Integer.MAX_VALUE ? -1 : m * cols, x.length);
        Objects.checkFromIndexSize(yOff, (long) m * rows > Integer.MAX_VALUE ? -1 : m * rows, y.length);
        for (int r = rowFrom; r < rowTo; r++) {
            int from = rowStart[r], to = rowStart[r + 1];
            for (int i = 0; i < m && from < to; i++) {
                y[yOff + i * rows + r] += rowDot(from, to, x, xOff + i * cols);
            }
        }
    }

    /** Σ values[j]·x[xo + colIndex[j]] for j in [from, to), in four independent sums (one would wait on each FMA). */
    private float rowDot(int from, int to, float[] x, int xo) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = from;
        for (; j + 4 <= to; j += 4) {
            s0 += values[j] * x[xo + colIndex[j]];
            s1 += values[j + 1] * x[xo + colIndex[j + 1]];
            s2 += values[j + 2] * x[xo + colIndex[j + 2]];
            s3 += values[j + 3] * x[xo + colIndex[j + 3]];
        }
        for (; j < to; j++) {
            s0 += values[j] * x[xo + colIndex[j]];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** Adds row {@code row}'s entries to {@code out[off..off + cols())}. */
    public void addRow(int row, float[] out, int off) {
        Objects.checkIndex(row, rows);
        for (int j = rowStart[row]; j < rowStart[row + 1]; j++) {
            out[off + colIndex[j]] += values[j];
        }
    }

    /** Rows {@code [from, from + count)}, sharing the entry arrays. */
    public CsrOutliers sliceRows(int from, int count) {
        Objects.checkFromIndexSize(from, count, rows);
        return new CsrOutliers(count, cols, Arrays.copyOfRange(rowStart, from, from + count + 1), colIndex, values);
    }

    /** Columns {@code [from, from + count)} of every row, the kept entries' columns counted from {@code from}. */
    public CsrOutliers sliceColumns(int from, int count) {
        Objects.checkFromIndexSize(from, count, cols);
        int[] start = new int[rows + 1];
        int n = 0;
        for (int j = rowStart[0]; j < rowStart[rows]; j++) {
            n += colIndex[j] >= from && colIndex[j] < from + count ? 1 : 0;
        }
        int[] cs = new int[n];
        float[] vs = new float[n];
        n = 0;
        for (int r = 0; r < rows; r++) {
            for (int j = rowStart[r]; j < rowStart[r + 1]; j++) {
                if (colIndex[j] >= from && colIndex[j] < from + count) {
                    cs[n] = colIndex[j] - from;
                    vs[n] = values[j];
                    n++;
                }
            }
            start[r + 1] = n;
        }
        return new CsrOutliers(rows, count, start, cs, vs);
    }

    /** {@code csr.rows} (rows + 1 int32 offsets from 0), {@code csr.cols} (int32) and {@code csr.values} (f32), little-endian. */
    public Map<String, MemorySegment> parts() {
        int base = rowStart[0], nnz = nonZeros();
        MemorySegment starts = MemorySegment.ofArray(new byte[4 * (rows + 1)]);
        for (int r = 0; r <= rows; r++) {
            starts.setAtIndex(INT_LE, r, rowStart[r] - base);
        }
        MemorySegment cs = MemorySegment.ofArray(new byte[4 * nnz]);
        MemorySegment vs = MemorySegment.ofArray(new byte[4 * nnz]);
        for (int j = 0; j < nnz; j++) {
            cs.setAtIndex(INT_LE, j, colIndex[base + j]);
            vs.setAtIndex(FLOAT_LE, j, values[base + j]);
        }
        Map<String, MemorySegment> parts = new LinkedHashMap<>();
        parts.put("csr.rows", starts);
        parts.put("csr.cols", cs);
        parts.put("csr.values", vs);
        return parts;
    }

    /** Reads {@link #parts()} back, checking that they describe a {@code rows × cols} matrix; errors name the tensor. */
    public static CsrOutliers read(String tensorName, int rows, int cols, MemorySegment starts,
                                   MemorySegment colSeg, MemorySegment valueSeg) {
        String what = "tensor '" + tensorName + "': sparse part ";
        if (starts.byteSize() != 4L * (rows + 1)) {
            throw new IllegalArgumentException(what + "csr.rows has " + starts.byteSize() + " bytes, expected "
                    + 4L * (rows + 1) + " for " + rows + " rows");
        }
        long nnz = colSeg.byteSize() / 4;
        if (colSeg.byteSize() % 4 != 0 || valueSeg.byteSize() != colSeg.byteSize() || nnz > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(what + "csr.cols (" + colSeg.byteSize() + " bytes) and csr.values ("
                    + valueSeg.byteSize() + " bytes) must hold one int32 and one float32 per entry");
        }
        int[] rowStart = new int[rows + 1];
        for (int r = 0; r <= rows; r++) {
            rowStart[r] = starts.getAtIndex(INT_LE, r);
            if (r == 0 ? rowStart[0] != 0 : rowStart[r] < rowStart[r - 1]) {
                throw new IllegalArgumentException(what + "csr.rows is not a row-pointer array (entry " + r + " is " + rowStart[r] + ")");
            }
        }
        if (rowStart[rows] != nnz) {
            throw new IllegalArgumentException(what + "csr.rows ends at " + rowStart[rows] + " but there are " + nnz + " entries");
        }
        int[] colIndex = new int[(int) nnz];
        float[] values = new float[(int) nnz];
        for (int j = 0; j < nnz; j++) {
            colIndex[j] = colSeg.getAtIndex(INT_LE, j);
            values[j] = valueSeg.getAtIndex(FLOAT_LE, j);
            if (colIndex[j] < 0 || colIndex[j] >= cols) {
                throw new IllegalArgumentException(what + "csr.cols entry " + j + " is column " + colIndex[j]
                        + ", outside 0.." + (cols - 1));
            }
        }
        return new CsrOutliers(rows, cols, rowStart, colIndex, values);
    }
}
