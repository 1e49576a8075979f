package io.isthmus.runtime.quant.uniform;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.quant.PackedMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * {@code int8}: symmetric int8 weights with one f32 scale per output row,
 * {@code w[r][c] = codes[r][c] · scales[r]}, codes in [-127, 127]. Parts: {@code codes}
 * (rows × cols bytes, row-major) and {@code scales} (rows f32).
 */
public record Int8Matrix(String name, int rows, int cols, MemorySegment codes, MemorySegment scales)
        implements PackedMatrix {

    static final FormatSpec SPEC = FormatSpec.parse("int8");

    public Int8Matrix {
        Objects.requireNonNull(name);
        if (codes.byteSize() != (long) rows * cols || scales.byteSize() != 4L * rows) {
            throw new IllegalArgumentException(name + ": int8 parts of " + codes.byteSize() + " code bytes and "
                    + scales.byteSize() + " scale bytes do not fit " + rows + "×" + cols);
        }
    }

    @Override
    public FormatSpec spec() {
        return SPEC;
    }

    @Override
    public Map<String, MemorySegment> parts() {
        Map<String, MemorySegment> parts = new LinkedHashMap<>();
        parts.put("codes", codes);
        parts.put("scales", scales);
        return parts;
    }

    /** The scale of row {@code r}. */
    public float scale(int r) {
        return scales.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, r);
    }

    @Override
    public long byteSize() {
        return codes.byteSize() + scales.byteSize();
    }

    @Override
    public void matmul(float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
        Int8Kernel.matmul(codes, scales, rows, cols, x, xOff, m, y, yOff, rowFrom, rowTo);
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        Objects.checkIndex(row, rows);
        float s = scale(row);
        long base = (long) row * cols;
        for (int c = 0; c < cols; c++) {
            out[off + c] = codes.get(ValueLayout.JAVA_BYTE, base + c) * s;
        }
    }

    /** Per-row scales apply to any column range. */
    @Override
    public int columnGrain() {
        return 1;
    }

    @Override
    public WeightMatrix sliceRows(int from, int count) {
        Objects.checkFromIndexSize(from, count, rows);
        return new Int8Matrix(name, count, cols, codes.asSlice((long) from * cols, (long) count * cols),
                scales.asSlice(4L * from, 4L * count));
    }

    @Override
    public WeightMatrix sliceColumns(int from, int count, Arena arena) {
        Objects.checkFromIndexSize(from, count, cols);
        MemorySegment dst = arena.allocate((long) rows * count, 64);
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(codes, (long) r * cols + from, dst, (long) r * count, count);
        }
        MemorySegment s = arena.allocate(scales.byteSize(), 64);
        s.copyFrom(scales);
        return new Int8Matrix(name, rows, count, dst, s);
    }
}
