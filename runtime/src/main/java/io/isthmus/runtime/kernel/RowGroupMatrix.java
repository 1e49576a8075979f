package io.isthmus.runtime.kernel;

import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.Objects;

/**
 * A block-quantized GGUF matrix (Q8_0, Q4_0, Q4_K, Q6_K) copied out of the file's row-by-row blocks into
 * groups of four rows whose blocks lie side by side, as llama.cpp's repacked CPU formats do: for
 * each group and block, the four rows' codes, and apart from the codes the four rows' block heads
 * (their scales) in the same order. The values are the GGUF tensor's, and so are the bytes a
 * product reads except where a type rewrites them ({@link BlockDots#grouped}: Q4_K's heads grow from
 * 16 to 24 bytes unpacked and its codes interleave in 32-byte pieces; Q6_K's super-blocks grow from
 * 210 to 276 bytes, a byte per code, in 16-byte pieces); what changes is that a decode
 * step, which multiplies four rows by one x row at a time ({@link BlockDots#rows4}), reads one
 * aligned stream instead of four, loads each slice of x once for the four rows, and converts the
 * group's scales in one vector pass. Rows past the last full group are zeros.
 */
public final class RowGroupMatrix implements WeightMatrix {

    /** Rows stored side by side. */
    static final int GROUP = 4;

    private final String name;
    private final int rows;
    private final int cols;
    private final BlockDots dots;
    private final int blocks;       // per row
    private final MemorySegment codes; // groups × blocks × pieces × GROUP × pieceBytes
    private final MemorySegment heads; // groups × blocks × GROUP × headBytes

    private RowGroupMatrix(String name, int rows, int cols, BlockDots dots, MemorySegment codes, MemorySegment heads) {
        this.name = name;
        this.rows = rows;
        this.cols = cols;
        this.dots = dots;
        this.blocks = Math.ceilDiv(cols, dots.type.blockSize());
        this.codes = codes;
        this.heads = heads;
    }

    /** Whether matrices of {@code type} can be grouped. */
    public static boolean supports(GgmlType type) {
        return BlockDots.grouped(type) != null;
    }

    /** A matrix of a {@link #supports supported} type, copied into memory from {@code arena}. */
    public static RowGroupMatrix of(Tensor t, Arena arena) {
        BlockDots dots = BlockDots.grouped(t.type());
        if (dots == null || t.shape().length != 2) {
            throw new IllegalArgumentException("no four-row group layout for " + t);
        }
        if (dots.codeBytes > dots.pieceBytes && dots.pieceStride != GROUP * dots.pieceBytes) {
            throw new IllegalStateException(t.type() + "'s grouped products read pieces " + dots.pieceStride
                    + " bytes apart, not " + GROUP + " rows' worth");
        }
        RowGroupMatrix g = allocate(t.name(), t.rows(), t.cols(), dots, arena);
        MemorySegment src = t.data();
        int blockBytes = t.type().blockBytes();
        for (int r = 0; r < t.rows(); r++) {
            for (int b = 0; b < g.blocks; b++) {
                long at = r * t.rowBytes() + (long) b * blockBytes;
                dots.packHead(src, at, g.heads, g.headAt(r) + g.headStep() * b);
                dots.packCodes(src, at, g.codes, g.codeAt(r) + g.codeStep() * b);
            }
        }
        return g;
    }

    private static RowGroupMatrix allocate(String name, int rows, int cols, BlockDots dots, Arena arena) {
        long rowBlocks = (long) Math.ceilDiv(rows, GROUP) * GROUP * Math.ceilDiv(cols, dots.type.blockSize());
        return new RowGroupMatrix(name, rows, cols, dots, arena.allocate(rowBlocks * dots.codeBytes, 64),
                arena.allocate(rowBlocks * dots.headBytes, 64));
    }

    /** Bytes from one of a row's blocks of codes to the next. */
    private long codeStep() {
        return (long) GROUP * dots.codeBytes;
    }

    private long headStep() {
        return (long) GROUP * dots.headBytes;
    }

    /** Byte offset of row r's first codes in {@code codes}. */
    private long codeAt(int r) {
        return (long) (r / GROUP) * blocks * codeStep() + (long) (r % GROUP) * dots.pieceBytes;
    }

    /** Byte offset of row r's first head in {@code heads}. */
    private long headAt(int r) {
        return ((long) (r / GROUP) * blocks * GROUP + r % GROUP) * dots.headBytes;
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
        return dots.type.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public long byteSize() {
        return (long) rows * blocks * (dots.headBytes + dots.codeBytes);
    }

    /** The GGUF type's bytes: a grouped Q4_K or Q6_K is larger in memory than in the file. */
    @Override
    public long formatBytes() {
        return rows * dots.type.rowBytes(cols);
    }

    @Override
    public void matmul(float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
        product(x, xOff, m, y, yOff).rows(rowFrom, rowTo);
    }

    /**
     * A single x row (decode) is first rewritten for the type's group kernel ({@link BlockDots#prepare}),
     * once for all the ranges the pool's threads take: per range it cost as much as a range of a
     * 384-row matrix from L2, and Q4_0's GEMV there ran no faster on two threads than on one.
     */
    @Override
    public RowProduct product(float[] x, int xOff, int m, float[] y, int yOff) {
        AlignedFloats.Span prepared = m == 1 ? prepare(x, xOff) : null; // only single x rows go through rows4
        float[] pa = prepared == null ? null : prepared.array();
        int po = prepared == null ? 0 : prepared.offset();
        int codeStep = (int) codeStep(), headStep = (int) headStep();
        return (rowFrom, rowTo) -> RowTiles.matmul(new RowTiles.RowDots() {
            private float[] scratch; // this range's own

            @Override
            public float dot1(int row, float[] xs, int xo) {
                return dots.dot1(codes, codeAt(row), codeStep, heads, headAt(row), headStep, cols, xs, xo);
            }

            @Override
            public void dot4(int row, float[] xs, int x0, int x1, int x2, int x3, float[] out) {
                dots.dot4(codes, codeAt(row), codeStep, heads, headAt(row), headStep, cols, xs, x0, x1, x2, x3, out);
            }

            @Override
            public void rows4(int row, float[] xs, int xo, float[] out) { // row starts a group; m is 1
                if (scratch == null) {
                    scratch = new float[dots.rows4Scratch(cols)];
                }
                dots.rows4(codes, codeAt(row), heads, headAt(row), cols, xs, xo, pa, po, scratch, out);
            }
        }, rows, cols, x, xOff, m, y, yOff, rowFrom, rowTo);
    }

    /**
     * What the type's group kernel derives from the x row at {@code xOff}, at a 64-byte boundary of a
     * new array ({@link AlignedFloats}: the kernel loads it as it loads x), or null when it reads x as it is.
     */
    private AlignedFloats.Span prepare(float[] x, int xOff) {
        int size = dots.preparedSize(cols);
        if (size == 0) {
            return null;
        }
        Objects.checkFromIndexSize(xOff, cols, x.length);
        AlignedFloats.Span prepared = AlignedFloats.allocate(size);
        dots.prepare(x, xOff, cols, prepared.array(), prepared.offset());
        return prepared;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        Objects.checkIndex(row, rows);
        int bs = dots.type.blockSize();
        float[] block = new float[bs];
        for (int b = 0; b < blocks; b++) {
            dots.dequantizeBlock(codes, codeAt(row) + codeStep() * b, heads, headAt(row) + headStep() * b, block, 0);
            System.arraycopy(block, 0, out, off + b * bs, Math.min(bs, cols - b * bs));
        }
    }

    @Override
    public void decodeRow(int row, float[] out, int off) {
        Objects.checkIndex(row, rows);
        int bs = dots.type.blockSize();
        int full = cols / bs;
        dots.decode(codes, codeAt(row), (int) codeStep(), heads, headAt(row), (int) headStep(), full, out, off);
        if (full < blocks) {
            float[] block = new float[bs];
            dots.dequantizeBlock(codes, codeAt(row) + codeStep() * full, heads, headAt(row) + headStep() * full, block, 0);
            System.arraycopy(block, 0, out, off + full * bs, cols - full * bs);
        }
    }

    @Override
    public int columnGrain() {
        return dots.type.blockSize();
    }

    /** A view when {@code from} starts a group of four; otherwise the rows are copied (into memory the GC frees). */
    @Override
    public RowGroupMatrix sliceRows(int from, int count) {
        Objects.checkFromIndexSize(from, count, rows);
        if (from % GROUP != 0) {
            return copy(from, count, 0, cols, Arena.ofAuto());
        }
        long first = from / GROUP, groups = Math.ceilDiv(count, GROUP);
        long groupCodes = blocks * codeStep(), groupHeads = blocks * headStep();
        return new RowGroupMatrix(name, count, cols, dots, codes.asSlice(first * groupCodes, groups * groupCodes),
                heads.asSlice(first * groupHeads, groups * groupHeads));
    }

    @Override
    public RowGroupMatrix sliceColumns(int from, int count, Arena arena) {
        Objects.checkFromIndexSize(from, count, cols);
        int bs = dots.type.blockSize();
        if (from % bs != 0 || (count % bs != 0 && from + count != cols)) {
            throw new IllegalArgumentException("columns [" + from + ", " + (from + count) + ") of " + name
                    + " break its blocks of " + bs);
        }
        return copy(0, rows, from, count, arena);
    }

    /** Rows {@code [row0, row0 + count)} and columns {@code [col0, col0 + width)} (col0 a block's first) as a new matrix. */
    private RowGroupMatrix copy(int row0, int count, int col0, int width, Arena arena) {
        RowGroupMatrix g = allocate(name, count, width, dots, arena);
        int first = col0 / dots.type.blockSize();
        for (int r = 0; r < count; r++) {
            for (int b = 0; b < g.blocks; b++) {
                for (int p = 0; p < dots.codeBytes / dots.pieceBytes; p++) {
                    long piece = (long) p * dots.pieceStride;
                    MemorySegment.copy(codes, codeAt(row0 + r) + codeStep() * (first + b) + piece,
                            g.codes, g.codeAt(r) + codeStep() * b + piece, dots.pieceBytes);
                }
                MemorySegment.copy(heads, headAt(row0 + r) + headStep() * (first + b), g.heads, g.headAt(r) + headStep() * b, dots.headBytes);
            }
        }
        return g;
    }
}
