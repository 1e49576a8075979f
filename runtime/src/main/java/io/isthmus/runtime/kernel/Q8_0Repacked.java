package io.isthmus.runtime.kernel;

import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * Q8_0 weights copied out of GGUF's row-by-row blocks (f16 scale + 32 codes, 34 bytes) into
 * groups of four rows whose blocks lie side by side, as llama.cpp's repacked CPU formats do:
 * for each group and block, the four rows' 32 codes (128 bytes), and apart from the codes the
 * group's f16 scales in the same order (block by block, four a block). The values and the bytes a
 * product reads are the GGUF tensor's; what changes is that a decode step, which multiplies four
 * rows by one x row at a time ({@link Q8_0RepackedKernel}), reads one aligned stream instead of
 * four, loads each slice of x once for the four rows, and converts the group's scales with one
 * vector pass. Rows past the last full group, and a partial last block, are padded with zeros.
 */
public final class Q8_0Repacked implements WeightMatrix {

    static final int BLOCK = Q8_0Dots.BLOCK;
    /** Rows stored side by side. */
    static final int GROUP = 4;
    private static final int BLOCK_BYTES = 34;

    private final String name;
    private final int rows;
    private final int cols;
    private final MemorySegment codes;  // groups × blocks × GROUP × 32 bytes
    private final MemorySegment scales; // groups × blocks × GROUP f16

    private Q8_0Repacked(String name, int rows, int cols, MemorySegment codes, MemorySegment scales) {
        this.name = name;
        this.rows = rows;
        this.cols = cols;
        this.codes = codes;
        this.scales = scales;
    }

    /** A Q8_0 tensor's matrix copied into memory from {@code arena}. */
    public static Q8_0Repacked of(Tensor t, Arena arena) {
        if (t.type() != GgmlType.Q8_0 || t.shape().length != 2) {
            throw new IllegalArgumentException("only a Q8_0 matrix repacks as Q8_0, not " + t);
        }
        Q8_0Repacked q = allocate(t.name(), t.rows(), t.cols(), arena);
        int blocks = blocks(t.cols());
        MemorySegment src = t.data();
        for (int r = 0; r < t.rows(); r++) {
            for (int b = 0; b < blocks; b++) {
                long at = r * t.rowBytes() + (long) b * BLOCK_BYTES;
                q.scales.set(Dequantize.SHORT_LE, q.scaleAt(r) + 8L * b, src.get(Dequantize.SHORT_LE, at));
                int valid = Math.min(BLOCK, t.cols() - b * BLOCK); // the rest of a partial block stays zero
                MemorySegment.copy(src, at + 2, q.codes, q.codeAt(r) + (long) b * GROUP * BLOCK, valid);
            }
        }
        return q;
    }

    private static Q8_0Repacked allocate(String name, int rows, int cols, Arena arena) {
        long blockGroups = (long) Math.ceilDiv(rows, GROUP) * blocks(cols);
        return new Q8_0Repacked(name, rows, cols, arena.allocate(blockGroups * GROUP * BLOCK, 64),
                arena.allocate(blockGroups * GROUP * 2, 64));
    }

    static int blocks(int cols) {
        return Math.ceilDiv(cols, BLOCK);
    }

    /** Byte offset of row r's first codes in {@code codes} (its block b: + b·128). */
    long codeAt(int r) {
        return ((long) (r / GROUP) * blocks(cols) * GROUP + r % GROUP) * BLOCK;
    }

    /** Byte offset of row r's first scale in {@code scales} (its block b: + b·8). */
    long scaleAt(int r) {
        return ((long) (r / GROUP) * blocks(cols) * GROUP + r % GROUP) * 2;
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
        return "q8_0";
    }

    @Override
    public long byteSize() {
        return (long) rows * blocks(cols) * BLOCK_BYTES;
    }

    @Override
    public void matmul(float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
        Q8_0RepackedKernel.matmul(this, codes, scales, x, xOff, m, y, yOff, rowFrom, rowTo);
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        Objects.checkIndex(row, rows);
        for (int c = 0; c < cols; c++) {
            float d = Float.float16ToFloat(scales.get(Dequantize.SHORT_LE, scaleAt(row) + 8L * (c / BLOCK)));
            out[off + c] = d * codes.get(ValueLayout.JAVA_BYTE, codeAt(row) + (long) (c / BLOCK) * GROUP * BLOCK + c % BLOCK);
        }
    }

    @Override
    public void decodeRow(int row, float[] out, int off) {
        Objects.checkIndex(row, rows);
        Q8_0RepackedKernel.decodeRow(this, codes, scales, row, out, off);
    }

    @Override
    public int columnGrain() {
        return BLOCK;
    }

    /** A view when {@code from} starts a group of four; otherwise the rows are copied (into memory the GC frees). */
    @Override
    public Q8_0Repacked sliceRows(int from, int count) {
        Objects.checkFromIndexSize(from, count, rows);
        if (from % GROUP != 0) {
            return copy(from, count, 0, cols, Arena.ofAuto());
        }
        long groupCodes = (long) blocks(cols) * GROUP * BLOCK;
        long first = from / GROUP;
        long groups = Math.ceilDiv(count, GROUP);
        return new Q8_0Repacked(name, count, cols, codes.asSlice(first * groupCodes, groups * groupCodes),
                scales.asSlice(first * groupCodes / BLOCK * 2, groups * groupCodes / BLOCK * 2));
    }

    @Override
    public Q8_0Repacked sliceColumns(int from, int count, Arena arena) {
        Objects.checkFromIndexSize(from, count, cols);
        if (from % BLOCK != 0 || (count % BLOCK != 0 && from + count != cols)) {
            throw new IllegalArgumentException("columns [" + from + ", " + (from + count) + ") of " + name
                    + " break its blocks of " + BLOCK);
        }
        return copy(0, rows, from, count, arena);
    }

    /** Rows {@code [row0, row0 + count)} and columns {@code [col0, col0 + width)} (col0 a multiple of 32) as a new matrix. */
    private Q8_0Repacked copy(int row0, int count, int col0, int width, Arena arena) {
        Q8_0Repacked q = allocate(name, count, width, arena);
        int first = col0 / BLOCK;
        for (int r = 0; r < count; r++) {
            for (int b = 0; b < blocks(width); b++) {
                long from = (long) (first + b) * GROUP;
                long to = (long) b * GROUP;
                MemorySegment.copy(codes, codeAt(row0 + r) + from * BLOCK, q.codes, q.codeAt(r) + to * BLOCK, BLOCK);
                q.scales.set(Dequantize.SHORT_LE, q.scaleAt(r) + 2 * to, scales.get(Dequantize.SHORT_LE, scaleAt(row0 + r) + 2 * from));
            }
        }
        return q;
    }
}
