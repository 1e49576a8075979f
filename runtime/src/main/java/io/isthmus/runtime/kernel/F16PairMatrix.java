package io.isthmus.runtime.kernel;

import static io.isthmus.runtime.kernel.VectorSettings.LANES;

import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * An F16 matrix copied out of GGUF's row-major layout into pairs of rows that alternate piece by
 * piece: {@link VectorSettings#LANES} halves of row 2p, the same columns of row 2p + 1, the next
 * piece of row 2p, and so on. A pair is then one stream in memory, so the two-row tile that several
 * x rows go through (beam search, a decode batch: {@link F16Kernel#dot2x4}) reads it as fast as a
 * single row. Read as two adjacent rows of GGUF's layout, the same tile ran at 11-13 GB/s from DRAM
 * on two cores, against 26-30 GB/s interleaved, and 18-26 for one row at a time (a throwaway probe,
 * rows of 512, four x rows). A single x row goes through both rows of a pair at once too
 * ({@link F16Kernel#dot2x1}). The values are the
 * GGUF tensor's. Columns past the last whole piece are zeros, and so is an odd last row's partner
 * (in a slice of rows, it may be the next row of the matrix cut from); products never write it.
 */
public final class F16PairMatrix implements WeightMatrix {

    /** Bytes of one row's piece. */
    private static final long PIECE = 2L * LANES;
    /** Bytes from one piece of a row to its next: the other row's piece lies between. */
    private static final long STEP = 2 * PIECE;

    private final String name;
    private final int rows;
    private final int cols;
    private final long pairBytes;
    private final MemorySegment data; // pairs × pieces × (row 2p's piece, row 2p + 1's piece)

    private F16PairMatrix(String name, int rows, int cols, MemorySegment data) {
        this.name = name;
        this.rows = rows;
        this.cols = cols;
        this.pairBytes = Math.ceilDiv(cols, LANES) * STEP;
        this.data = data;
    }

    /** An F16 matrix, copied into memory from {@code arena}. */
    public static F16PairMatrix of(Tensor t, Arena arena) {
        if (t.type() != GgmlType.F16 || t.shape().length != 2) {
            throw new IllegalArgumentException("no paired-row layout for " + t + ": it takes 2-D F16 tensors");
        }
        F16PairMatrix p = allocate(t.name(), t.rows(), t.cols(), arena);
        MemorySegment src = t.data();
        for (int r = 0; r < t.rows(); r++) {
            for (int c = 0; c < t.cols(); c += LANES) {
                MemorySegment.copy(src, r * t.rowBytes() + 2L * c, p.data, p.halfAt(r, c), 2L * Math.min(LANES, t.cols() - c));
            }
        }
        return p;
    }

    private static F16PairMatrix allocate(String name, int rows, int cols, Arena arena) {
        long bytes = (long) Math.ceilDiv(rows, 2) * Math.ceilDiv(cols, LANES) * STEP;
        return new F16PairMatrix(name, rows, cols, arena.allocate(bytes, 64));
    }

    /** Byte offset of row r's first piece. */
    private long rowAt(int r) {
        return (r / 2) * pairBytes + (r % 2) * PIECE;
    }

    /** Byte offset of row r's half in column c. */
    private long halfAt(int r, int c) {
        return rowAt(r) + c / LANES * STEP + 2L * (c % LANES);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public String format() {
        return "f16";
    }

    @Override
    public long byteSize() {
        return data.byteSize();
    }

    @Override
    public long formatBytes() {
        return 2L * rows * cols;
    }

    @Override
    public void matmul(float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
        product(x, xOff, m, y, yOff).rows(rowFrom, rowTo);
    }

    @Override
    public RowProduct product(float[] x, int xOff, int m, float[] y, int yOff) {
        RowTiledKernel.Input in = F16Kernel.scaledInput(x, xOff, m, cols);
        RowTiles.PairTile pairs = (row, xs, x0, x1, x2, x3, out) ->
                F16Kernel.dot2x4(data, rowAt(row), rowAt(row) + PIECE, STEP, cols, xs, x0, x1, x2, x3, out);
        RowTiles.RowDots dots = new RowTiles.RowDots() {
            @Override
            public float dot1(int row, float[] xs, int xo) {
                return F16Kernel.dot1(data, rowAt(row), STEP, cols, xs, xo);
            }

            @Override
            public void dot4(int row, float[] xs, int x0, int x1, int x2, int x3, float[] out) {
                F16Kernel.dot4(data, rowAt(row), STEP, cols, xs, x0, x1, x2, x3, out);
            }

            @Override
            public void rows4(int row, float[] xs, int xo, float[] out) { // two pairs, one after the other
                F16Kernel.dot2x1(data, rowAt(row), rowAt(row) + PIECE, STEP, cols, xs, xo, out, 0);
                F16Kernel.dot2x1(data, rowAt(row + 2), rowAt(row + 2) + PIECE, STEP, cols, xs, xo, out, 2);
            }

            @Override
            public RowTiles.PairTile pairTile() {
                return pairs;
            }
        };
        return (rowFrom, rowTo) -> {
            RowTiles.matmul(dots, rows, cols, in.x(), in.xOff(), m, y, yOff, rowFrom, rowTo);
            in.rescale(y, yOff, rows, rowFrom, rowTo);
        };
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        Objects.checkIndex(row, rows);
        Objects.checkFromIndexSize(off, cols, out.length);
        for (int c = 0; c < cols; c++) {
            out[off + c] = Dequantize.f16(data, halfAt(row, c));
        }
    }

    @Override
    public void decodeRow(int row, float[] out, int off) {
        Objects.checkIndex(row, rows);
        Objects.checkFromIndexSize(off, cols, out.length);
        for (int c = 0; c < cols; c += LANES) {
            F16Kernel.decode(data, halfAt(row, c), Math.min(LANES, cols - c), out, off + c);
        }
    }

    @Override
    public int columnGrain() {
        return 1;
    }

    /** A view when {@code from} starts a pair; otherwise the rows are copied (into memory the GC frees). */
    @Override
    public F16PairMatrix sliceRows(int from, int count) {
        Objects.checkFromIndexSize(from, count, rows);
        if (from % 2 != 0) {
            return copy(from, count, 0, cols, Arena.ofAuto());
        }
        return new F16PairMatrix(name, count, cols, data.asSlice(from / 2 * pairBytes, Math.ceilDiv(count, 2) * pairBytes));
    }

    @Override
    public F16PairMatrix sliceColumns(int from, int count, Arena arena) {
        Objects.checkFromIndexSize(from, count, cols);
        return copy(0, rows, from, count, arena);
    }

    /** Rows {@code [row0, row0 + count)} and columns {@code [col0, col0 + width)} as a new matrix. */
    private F16PairMatrix copy(int row0, int count, int col0, int width, Arena arena) {
        F16PairMatrix p = allocate(name, count, width, arena);
        for (int r = 0; r < count; r++) {
            for (int c = 0; c < width; c++) {
                MemorySegment.copy(data, halfAt(row0 + r, col0 + c), p.data, p.halfAt(r, c), 2);
            }
        }
        return p;
    }
}
