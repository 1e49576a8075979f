package io.isthmus.runtime.quant.testing;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.quant.PackedMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** A matrix of {@link RowInt8Format}: scalar loops, for tests. */
record RowInt8Matrix(String name, int rows, int cols, FormatSpec spec, MemorySegment codes, MemorySegment scales)
        implements PackedMatrix {

    @Override
    public Map<String, MemorySegment> parts() {
        Map<String, MemorySegment> m = new LinkedHashMap<>();
        m.put("codes", codes);
        m.put("scales", scales);
        return m;
    }

    @Override
    public long byteSize() {
        return codes.byteSize() + scales.byteSize();
    }

    @Override
    public void matmul(float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
        for (int r = rowFrom; r < rowTo; r++) {
            float d = scales.getAtIndex(RowInt8Format.F32, r);
            long at = (long) r * cols;
            for (int i = 0; i < m; i++) {
                float s = 0;
                int xo = xOff + i * cols;
                for (int c = 0; c < cols; c++) {
                    s += codes.get(ValueLayout.JAVA_BYTE, at + c) * x[xo + c];
                }
                y[yOff + i * rows + r] = s * d;
            }
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        float d = scales.getAtIndex(RowInt8Format.F32, row);
        for (int c = 0; c < cols; c++) {
            out[off + c] = codes.get(ValueLayout.JAVA_BYTE, (long) row * cols + c) * d;
        }
    }

    @Override
    public int columnGrain() {
        return 2;
    }

    @Override
    public RowInt8Matrix sliceRows(int from, int count) {
        Objects.checkFromIndexSize(from, count, rows);
        return new RowInt8Matrix(name, count, cols, spec, codes.asSlice((long) from * cols, (long) count * cols),
                scales.asSlice(4L * from, 4L * count));
    }

    @Override
    public RowInt8Matrix sliceColumns(int from, int count, Arena arena) {
        Objects.checkFromIndexSize(from, count, cols);
        MemorySegment dst = arena.allocate((long) rows * count, 64);
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(codes, (long) r * cols + from, dst, (long) r * count, count);
        }
        MemorySegment s = arena.allocate(scales.byteSize(), 64);
        s.copyFrom(scales);
        return new RowInt8Matrix(name, rows, count, spec, dst, s);
    }
}
