package io.isthmus.runtime.quant.packing;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * The b-bit codes of a {@code rows × cols} matrix, split into bit planes so that every vector load is
 * aligned and every lane decodes with shifts (the TC-FPx idea of FP6-LLM). Each row is padded to
 * whole chunks of {@link #CHUNK} columns; a chunk is {@link #LANES} lanes × 8 slabs, and column
 * {@code 16·j + l} of a chunk is lane l of slab j. A plane of width w holds bits
 * {@code [shift, shift + w)} of every code: per chunk and lane one little-endian word of w bytes
 * (byte, short or int), whose bits {@code [w·j, w·j + w)} belong to slab j. So lane l of slab j is
 * {@code word >>> (w·j)} in the low bits of a vector lane, for any vector width.
 *
 * <p>Plane p of row r starts at byte {@code r · chunks · 16 · w_p}; rows are contiguous, so a run
 * of rows is one slice of each plane (zero-copy row slices).
 */
public final class CodePlanes {

    /** Columns per slab: the lanes of the stored layout (not of the vector species). */
    public static final int LANES = 16;
    /** Columns per chunk: 8 slabs, so a width-w plane holds w bytes per lane and chunk. */
    public static final int CHUNK = 8 * LANES;

    private final int rows;
    private final int cols;
    private final int[] widths;
    private final MemorySegment[] planes;

    private CodePlanes(int rows, int cols, int[] widths, MemorySegment[] planes) {
        this.rows = rows;
        this.cols = cols;
        this.widths = widths;
        this.planes = planes;
    }

    /** Zeroed planes of the given widths (bits, low plane first; each 1, 2 or 4). */
    public static CodePlanes allocate(int rows, int cols, int[] widths, Arena arena) {
        checkWidths(widths);
        MemorySegment[] planes = new MemorySegment[widths.length];
        for (int p = 0; p < widths.length; p++) {
            planes[p] = arena.allocate(Math.max(1, (long) rows * rowBytes(cols, widths[p])), 64);
        }
        return new CodePlanes(rows, cols, widths.clone(), planes);
    }

    /**
     * Planes read back from a file: each segment must hold exactly the rows of its width; an
     * error names {@code tensor} and the part.
     */
    public static CodePlanes of(String tensor, int rows, int cols, int[] widths, MemorySegment[] planes, String[] partNames) {
        checkWidths(widths);
        for (int p = 0; p < widths.length; p++) {
            if (planes[p] == null) {
                throw new IllegalArgumentException(tensor + ": missing part '" + partNames[p] + "'");
            }
            long want = (long) rows * rowBytes(cols, widths[p]);
            if (planes[p].byteSize() != want) {
                throw new IllegalArgumentException(tensor + ": part '" + partNames[p] + "' has " + planes[p].byteSize()
                        + " bytes, expected " + want + " for " + rows + " x " + cols + " codes of " + widths[p] + " bits");
            }
        }
        return new CodePlanes(rows, cols, widths.clone(), planes.clone());
    }

    private static void checkWidths(int[] widths) {
        int bits = 0;
        for (int w : widths) {
            if (w != 1 && w != 2 && w != 4) {
                throw new IllegalArgumentException("plane widths must be 1, 2 or 4 bits, got " + Arrays.toString(widths));
            }
            bits += w;
        }
        if (bits > 8) {
            throw new IllegalArgumentException("codes of more than 8 bits: " + Arrays.toString(widths));
        }
    }

    /** Chunks per row (the last one padded with zero codes). */
    public static int chunks(int cols) {
        return (cols + CHUNK - 1) / CHUNK;
    }

    /** Bytes of one row in a plane of {@code width} bits. */
    public static long rowBytes(int cols, int width) {
        return (long) chunks(cols) * LANES * width;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public int planeCount() {
        return planes.length;
    }

    public int width(int plane) {
        return widths[plane];
    }

    public MemorySegment plane(int plane) {
        return planes[plane];
    }

    /** Byte offset of {@code row} in {@code plane}. */
    public long rowOffset(int plane, int row) {
        return row * rowBytes(cols, widths[plane]);
    }

    public long byteSize() {
        long n = 0;
        for (MemorySegment s : planes) {
            n += s.byteSize();
        }
        return n;
    }

    /** Writes the codes of {@code row} ({@code cols} values, each below 2^bits). */
    public void setRow(int row, int[] codes) {
        Objects.checkIndex(row, rows);
        int shift = 0;
        for (int p = 0; p < planes.length; p++) {
            int w = widths[p];
            int mask = (1 << w) - 1;
            long base = rowOffset(p, row);
            for (int ch = 0; ch < chunks(cols); ch++) {
                for (int l = 0; l < LANES; l++) {
                    int word = 0;
                    for (int j = 0; j < 8; j++) {
                        int c = ch * CHUNK + j * LANES + l;
                        int code = c < cols ? codes[c] : 0;
                        word |= ((code >>> shift) & mask) << (w * j);
                    }
                    writeWord(planes[p], base + (long) (ch * LANES + l) * w, w, word);
                }
            }
            shift += w;
        }
    }

    /**
     * Runs {@code task} for every row index: in parallel where these planes may be written from other
     * threads (memory of a shared or global arena), else on the calling thread.
     */
    public void forEachRow(IntConsumer task) {
        IntStream all = IntStream.range(0, rows);
        boolean shared = planes[0].isAccessibleBy(new Thread(() -> { }));
        (shared ? all.parallel() : all).forEach(task);
    }

    /** The code at {@code (row, col)}. */
    public int code(int row, int col) {
        int ch = col / CHUNK;
        int j = (col % CHUNK) / LANES;
        int l = col % LANES;
        int code = 0;
        int shift = 0;
        for (int p = 0; p < planes.length; p++) {
            int w = widths[p];
            int word = readWord(planes[p], rowOffset(p, row) + (long) (ch * LANES + l) * w, w);
            code |= ((word >>> (w * j)) & ((1 << w) - 1)) << shift;
            shift += w;
        }
        return code;
    }

    /** The codes of {@code row} into {@code out[0..cols)}. */
    public void row(int row, int[] out) {
        Objects.checkIndex(row, rows);
        for (int c = 0; c < cols; c++) {
            out[c] = code(row, c);
        }
    }

    /** Rows {@code [from, from + count)}, sharing this memory. */
    public CodePlanes sliceRows(int from, int count) {
        Objects.checkFromIndexSize(from, count, rows);
        MemorySegment[] s = new MemorySegment[planes.length];
        for (int p = 0; p < planes.length; p++) {
            long rb = rowBytes(cols, widths[p]);
            s[p] = planes[p].asSlice(from * rb, count * rb);
        }
        return new CodePlanes(count, cols, widths, s);
    }

    /**
     * Columns {@code [from, from + count)} of every row, copied into memory from {@code arena}: whole
     * chunks are copied as bytes, other slices are re-packed code by code.
     */
    public CodePlanes sliceColumns(int from, int count, Arena arena) {
        Objects.checkFromIndexSize(from, count, cols);
        CodePlanes dst = allocate(rows, count, widths, arena);
        if (from % CHUNK == 0) {
            for (int p = 0; p < planes.length; p++) {
                long srcRow = rowBytes(cols, widths[p]);
                long dstRow = rowBytes(count, widths[p]);
                long skip = (long) (from / CHUNK) * LANES * widths[p];
                for (int r = 0; r < rows; r++) {
                    MemorySegment.copy(planes[p], r * srcRow + skip, dst.planes[p], r * dstRow, dstRow);
                }
            }
            if (count % CHUNK != 0 && from + count != cols) {
                dst.clearPadding(); // the copied last chunk holds codes past the slice
            }
            return dst;
        }
        int[] src = new int[cols];
        int[] part = new int[count];
        for (int r = 0; r < rows; r++) {
            row(r, src);
            System.arraycopy(src, from, part, 0, count);
            dst.setRow(r, part);
        }
        return dst;
    }

    /** Zeroes the codes past {@code cols} in each row's last chunk. */
    private void clearPadding() {
        for (int r = 0; r < rows; r++) {
            for (int c = cols; c < chunks(cols) * CHUNK; c++) {
                int ch = c / CHUNK;
                int j = (c % CHUNK) / LANES;
                int l = c % LANES;
                for (int p = 0; p < planes.length; p++) {
                    int w = widths[p];
                    long at = rowOffset(p, r) + (long) (ch * LANES + l) * w;
                    int word = readWord(planes[p], at, w) & ~(((1 << w) - 1) << (w * j));
                    writeWord(planes[p], at, w, word);
                }
            }
        }
    }

    private static int readWord(MemorySegment s, long at, int bytes) {
        return switch (bytes) {
            case 1 -> Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, at));
            case 2 -> Short.toUnsignedInt(s.get(SHORT_LE, at));
            default -> s.get(INT_LE, at);
        };
    }

    private static void writeWord(MemorySegment s, long at, int bytes, int word) {
        switch (bytes) {
            case 1 -> s.set(ValueLayout.JAVA_BYTE, at, (byte) word);
            case 2 -> s.set(SHORT_LE, at, (short) word);
            default -> s.set(INT_LE, at, word);
        }
    }

    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_LE =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
}
