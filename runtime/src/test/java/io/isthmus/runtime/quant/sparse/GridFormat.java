package io.isthmus.runtime.quant.sparse;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.quant.Calibration;
import io.isthmus.runtime.quant.PackedFormat;
import io.isthmus.runtime.quant.PackedMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.Objects;

/**
 * A test-only dense family ({@code grid}): int8 codes times one step per matrix, multiplied by a
 * scalar loop. It knows nothing of outliers, so the +sparse wrapper must hand it zeros there.
 */
final class GridFormat implements PackedFormat {

    @Override
    public String name() {
        return "grid";
    }

    @Override
    public FormatSpec resolve(FormatSpec spec) {
        if (spec.groupSize().isPresent() || spec.sparse()) {
            throw new IllegalArgumentException("grid takes no options: " + spec);
        }
        return spec;
    }

    @Override
    public PackedMatrix quantize(String tensorName, float[] w, int rows, int cols, FormatSpec spec,
                                 Calibration calibration, Arena arena) {
        float max = 0;
        for (int i = 0; i < rows * cols; i++) {
            max = Math.max(max, Math.abs(w[i]));
        }
        float step = max == 0 ? 1 : max / 127;
        MemorySegment q = arena.allocate((long) rows * cols);
        for (int i = 0; i < rows * cols; i++) {
            q.set(ValueLayout.JAVA_BYTE, i, (byte) Math.round(w[i] / step));
        }
        MemorySegment s = arena.allocate(4);
        s.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 0, step);
        return new Grid(tensorName, resolve(spec), rows, cols, q, s);
    }

    @Override
    public PackedMatrix read(String tensorName, int rows, int cols, FormatSpec spec, Map<String, MemorySegment> parts) {
        return new Grid(tensorName, resolve(spec), rows, cols, parts.get("q"), parts.get("step"));
    }

    private record Grid(String name, FormatSpec spec, int rows, int cols, MemorySegment q, MemorySegment step)
            implements PackedMatrix {

        @Override
        public long byteSize() {
            return q.byteSize() + step.byteSize();
        }

        @Override
        public Map<String, MemorySegment> parts() {
            return Map.of("q", q, "step", step);
        }

        @Override
        public void matmul(float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
            float[] row = new float[cols];
            for (int r = rowFrom; r < rowTo; r++) {
                dequantizeRow(r, row, 0);
                for (int i = 0; i < m; i++) {
                    float s = 0;
                    for (int c = 0; c < cols; c++) {
                        s += row[c] * x[xOff + i * cols + c];
                    }
                    y[yOff + i * rows + r] = s;
                }
            }
        }

        @Override
        public void dequantizeRow(int row, float[] out, int off) {
            Objects.checkIndex(row, rows);
            float d = step.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0);
            for (int c = 0; c < cols; c++) {
                out[off + c] = q.get(ValueLayout.JAVA_BYTE, (long) row * cols + c) * d;
            }
        }

        @Override
        public int columnGrain() {
            return 1;
        }

        @Override
        public WeightMatrix sliceRows(int from, int count) {
            return new Grid(name, spec, count, cols, q.asSlice((long) from * cols, (long) count * cols), step);
        }

        @Override
        public WeightMatrix sliceColumns(int from, int count, Arena arena) {
            MemorySegment dst = arena.allocate((long) rows * count);
            for (int r = 0; r < rows; r++) {
                MemorySegment.copy(q, (long) r * cols + from, dst, (long) r * count, count);
            }
            return new Grid(name, spec, rows, count, dst, step);
        }
    }
}
