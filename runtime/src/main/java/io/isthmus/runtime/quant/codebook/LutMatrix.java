package io.isthmus.runtime.quant.codebook;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.kernel.AlignedFloats;
import io.isthmus.runtime.kernel.RowProduct;
import io.isthmus.runtime.kernel.RowTiles;
import io.isthmus.runtime.quant.PackedMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A matrix in {@code lut4} or {@code lut3}: per output row a table of 2^b floats ({@code lut}, row
 * after row) and one b-bit code per column ({@code codes}, packed by {@link CodePacking});
 * {@code W[r][c] = lut[r][code(r, c)]}.
 */
public final class LutMatrix implements PackedMatrix {

    private final String name;
    private final FormatSpec spec;
    private final CodePacking packing;
    private final int rows;
    private final int cols;
    private final MemorySegment codes;
    private final MemorySegment lut;
    private final long rowBytes;
    private final long tableBytes;
    /** Columns including the last block's padding: what the kernel multiplies. */
    private final int paddedCols;
    private final LutKernel kernel;
    private final RowTiles.RowDots dots = new RowTiles.RowDots() {
        @Override
        public float dot1(int row, float[] x, int xo) {
            return kernel.dot1(codes, row * rowBytes, lut, row * tableBytes, paddedCols, x, xo);
        }

        @Override
        public void dot4(int row, float[] x, int x0, int x1, int x2, int x3, float[] out) {
            kernel.dot4(codes, row * rowBytes, lut, row * tableBytes, paddedCols, x, x0, x1, x2, x3, out);
        }
    };

    LutMatrix(String name, FormatSpec spec, CodePacking packing, int rows, int cols, MemorySegment codes, MemorySegment lut) {
        this.name = Objects.requireNonNull(name);
        this.spec = Objects.requireNonNull(spec);
        this.packing = packing;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = packing.rowBytes(cols);
        this.tableBytes = 4L * packing.levels();
        this.paddedCols = Math.toIntExact(rowBytes / packing.blockBytes() * packing.block());
        if (codes.byteSize() != rowBytes * rows || lut.byteSize() != tableBytes * rows) {
            throw new IllegalArgumentException("tensor '" + name + "' (" + spec + ", " + rows + " x " + cols
                    + ") needs " + rowBytes * rows + " bytes of codes and " + tableBytes * rows
                    + " of tables, got " + codes.byteSize() + " and " + lut.byteSize());
        }
        this.codes = codes;
        this.lut = lut;
        this.kernel = LutKernel.forPacking(packing);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public FormatSpec spec() {
        return spec;
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
    public long byteSize() {
        return codes.byteSize() + lut.byteSize();
    }

    @Override
    public Map<String, MemorySegment> parts() {
        Map<String, MemorySegment> parts = new LinkedHashMap<>();
        parts.put("codes", codes);
        parts.put("lut", lut);
        return parts;
    }

    @Override
    public void matmul(float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
        product(x, xOff, m, y, yOff).rows(rowFrom, rowTo);
    }

    /**
     * The kernels take whole blocks: a row length that is not a multiple of the block has x copied
     * once per product with zeros after each row (the padding codes decode to finite table values).
     */
    @Override
    public RowProduct product(float[] x, int xOff, int m, float[] y, int yOff) {
        if (paddedCols == cols) {
            return (rowFrom, rowTo) -> RowTiles.matmul(dots, rows, cols, x, xOff, m, y, yOff, rowFrom, rowTo);
        }
        Objects.checkFromIndexSize(xOff, (long) m * cols > Integer.MAX_VALUE ? -1 : m * cols, x.length);
        AlignedFloats.Span span = AlignedFloats.allocate(Math.multiplyExact(m, paddedCols)); // loaded as x is
        float[] padded = span.array();
        int at = span.offset();
        for (int i = 0; i < m; i++) {
            System.arraycopy(x, xOff + i * cols, padded, at + i * paddedCols, cols);
        }
        return (rowFrom, rowTo) -> RowTiles.matmul(dots, rows, paddedCols, padded, at, m, y, yOff, rowFrom, rowTo);
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        Objects.checkIndex(row, rows);
        long co = row * rowBytes, to = row * tableBytes;
        for (int c = 0; c < cols; c++) {
            out[off + c] = lut.get(LutKernel.FLOAT_LE, to + 4L * packing.get(codes, co, c));
        }
    }

    /** 2 for lut4 (two codes a byte), 32 for lut3 (32 codes in three words); column slices re-pack their codes. */
    @Override
    public int columnGrain() {
        return packing == CodePacking.FOUR_BIT ? 2 : 32;
    }

    @Override
    public LutMatrix sliceRows(int from, int count) {
        Objects.checkFromIndexSize(from, count, rows);
        return new LutMatrix(name, spec, packing, count, cols, codes.asSlice(from * rowBytes, count * rowBytes),
                lut.asSlice(from * tableBytes, count * tableBytes));
    }

    @Override
    public LutMatrix sliceColumns(int from, int count, Arena arena) {
        Objects.checkFromIndexSize(from, count, cols);
        int grain = columnGrain();
        if (from % grain != 0 || (count % grain != 0 && from + count != cols)) {
            throw new IllegalArgumentException("columns [" + from + ", " + (from + count) + ") of tensor '" + name
                    + "' (" + spec + ") do not start and end at multiples of " + grain);
        }
        int newRowBytes = Math.toIntExact(packing.rowBytes(count));
        byte[] rowCodes = new byte[count];
        byte[] packed = new byte[newRowBytes];
        MemorySegment dst = arena.allocate((long) newRowBytes * rows, 64);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < count; c++) {
                rowCodes[c] = (byte) packing.get(codes, r * rowBytes, from + c);
            }
            packing.pack(rowCodes, count, packed, 0);
            MemorySegment.copy(packed, 0, dst, ValueLayout.JAVA_BYTE, (long) r * newRowBytes, newRowBytes);
        }
        MemorySegment tables = arena.allocate(lut.byteSize(), 64);
        tables.copyFrom(lut);
        return new LutMatrix(name, spec, packing, rows, count, dst, tables);
    }

    @Override
    public String toString() {
        return "LutMatrix[" + name + ", " + spec + ", " + rows + " x " + cols + "]";
    }
}
