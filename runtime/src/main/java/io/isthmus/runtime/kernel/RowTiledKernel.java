package io.isthmus.runtime.kernel;

import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A GGUF-type kernel over the shared {@link RowTiles} loop: subclasses supply the per-type dot
 * products of one row at a byte offset of the tensor's memory.
 */
abstract class RowTiledKernel implements MatMulKernel {

    private final GgmlType type;

    RowTiledKernel(GgmlType type) {
        this.type = type;
    }

    /** Σ_c W[row at off][c]·x[xo + c] for c < k. */
    abstract float dot1(MemorySegment w, long off, int k, float[] x, int xo);

    /** The same for four x rows at once, results in {@code out[0..3]}. */
    abstract void dot4(MemorySegment w, long off, int k, float[] x, int x0, int x1, int x2, int x3, float[] out);

    /**
     * The type's two-row tile over rows of {@code rowBytes} in {@code w}, {@code k} columns each, for
     * products of {@code m} x rows ({@link RowTiles.PairTile}); null when it has none, or pairs do
     * not pay for m, and the rows go through {@link #dot4} one at a time.
     */
    RowTiles.PairTile pairTile(MemorySegment w, long rowBytes, int k, int m) {
        return null;
    }

    @Override
    public final void matmul(Tensor w, float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
        product(w, x, xOff, m, y, yOff).rows(rowFrom, rowTo);
    }

    @Override
    public final RowProduct product(Tensor w, float[] x, int xOff, int m, float[] y, int yOff) {
        if (w.type() != type) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " cannot multiply " + w);
        }
        MemorySegment seg = w.data();
        long rowBytes = w.rowBytes();
        int k = w.cols();
        int n = w.rows();
        Input in = input(x, xOff, m, k);
        RowTiles.PairTile pairs = pairTile(seg, rowBytes, k, m);
        RowTiles.RowDots dots = new RowTiles.RowDots() {
            @Override
            public float dot1(int row, float[] xs, int xo) {
                return RowTiledKernel.this.dot1(seg, row * rowBytes, k, xs, xo);
            }

            @Override
            public void dot4(int row, float[] xs, int x0, int x1, int x2, int x3, float[] out) {
                RowTiledKernel.this.dot4(seg, row * rowBytes, k, xs, x0, x1, x2, x3, out);
            }

            @Override
            public RowTiles.PairTile pairTile() {
                return pairs;
            }
        };
        return (rowFrom, rowTo) -> {
            RowTiles.matmul(dots, n, k, in.x, in.xOff, m, y, yOff, rowFrom, rowTo);
            in.rescale(y, yOff, n, rowFrom, rowTo);
        };
    }

    /**
     * The x rows as {@link #dot1}/{@link #dot4} read them ({@code m} rows of {@code k} from
     * {@code xOff}): x itself, unless the kernel reads a rewritten copy.
     */
    Input input(float[] x, int xOff, int m, int k) {
        Objects.checkFromIndexSize(xOff, (long) m * k > Integer.MAX_VALUE ? -1 : m * k, x.length);
        return new Input(x, xOff, null);
    }

    /**
     * What the dots read for x, and for each x row the power of two its results are multiplied by
     * afterwards ({@code rowScales} null: none).
     */
    record Input(float[] x, int xOff, float[] rowScales) {

        /** Multiplies output rows [rowFrom, rowTo) of each x row by its scale. */
        void rescale(float[] y, int yOff, int n, int rowFrom, int rowTo) {
            if (rowScales == null) {
                return;
            }
            for (int i = 0; i < rowScales.length; i++) {
                float s = rowScales[i];
                if (s != 1f) {
                    Ops.scale(y, yOff + i * n + rowFrom, s, rowTo - rowFrom);
                }
            }
        }
    }

    @Override
    public final void decodeRow(Tensor w, int row, float[] out, int off) {
        if (w.type() != type || type.blockSize() == 1) {
            Dequantize.row(w, row, out, off);
            return;
        }
        Objects.checkIndex(row, w.rows());
        int bs = type.blockSize();
        int k = w.cols();
        int full = k / bs;
        long at = row * w.rowBytes();
        decodeBlocks(w.data(), at, full, out, off);
        int rest = k % bs;
        if (rest > 0) {
            float[] v = new float[bs];
            Dequantize.block(type, w.data(), at + (long) full * type.blockBytes(), v, 0);
            System.arraycopy(v, 0, out, off + full * bs, rest);
        }
    }

    /**
     * The first {@code count} whole blocks of a row at byte {@code off}, decoded to {@code out[o..]}:
     * the scalar dequantizer, unless the type decodes blocks with vectors (bit-identical values).
     */
    void decodeBlocks(MemorySegment w, long off, int count, float[] out, int o) {
        for (int b = 0; b < count; b++) {
            Dequantize.block(type, w, off + (long) b * type.blockBytes(), out, o + b * type.blockSize());
        }
    }

    /**
     * Σ W·x over the partial last block of a row whose length is not a multiple of the block size,
     * from the scalar dequantizer (0 when the row has no such block).
     */
    final float partialBlock(MemorySegment w, long off, int k, float[] x, int xo) {
        int bs = type.blockSize();
        int rest = k % bs;
        if (rest == 0) {
            return 0;
        }
        float[] v = new float[bs];
        Dequantize.block(type, w, off + (long) (k / bs) * type.blockBytes(), v, 0);
        return scalarDot(v, rest, x, xo + k - rest);
    }

    /** Dot product of the first {@code count} values of {@code w} with x from {@code xo}, for tails. */
    static float scalarDot(float[] w, int count, float[] x, int xo) {
        float s = 0;
        for (int c = 0; c < count; c++) {
            s += w[c] * x[xo + c];
        }
        return s;
    }
}
