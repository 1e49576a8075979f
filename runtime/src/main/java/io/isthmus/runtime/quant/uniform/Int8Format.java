package io.isthmus.runtime.quant.uniform;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.quant.Calibration;
import io.isthmus.runtime.quant.PackedFormat;
import io.isthmus.runtime.quant.PackedMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;

/**
 * The {@code int8} family: per-output-channel symmetric int8 (round to nearest, scale =
 * max|row| / 127). Prefill runs it through oneDNN's u8×s8 matmul where the library is present.
 */
public final class Int8Format implements PackedFormat {

    @Override
    public String name() {
        return "int8";
    }

    @Override
    public FormatSpec resolve(FormatSpec spec) {
        if (spec.groupSize().isPresent()) {
            throw new IllegalArgumentException("int8 has one scale per output channel and takes no group size (got "
                    + spec.spec() + ")");
        }
        if (spec.sparse()) {
            throw new IllegalArgumentException("int8 takes no +sparse suffix (got " + spec.spec() + ")");
        }
        return Int8Matrix.SPEC;
    }

    @Override
    public PackedMatrix quantize(String tensorName, float[] w, int rows, int cols, FormatSpec spec,
                                 Calibration calibration, Arena arena) {
        resolve(spec);
        if (w.length != (long) rows * cols) {
            throw new IllegalArgumentException(tensorName + ": " + w.length + " values for " + rows + "×" + cols);
        }
        MemorySegment codes = arena.allocate((long) rows * cols, 64);
        MemorySegment scales = arena.allocate(4L * rows, 64);
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            float max = 0;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, Math.abs(w[base + c]));
            }
            float scale = max > 0 ? max / 127f : 1f;
            float inv = 1f / scale;
            scales.setAtIndex(ValueLayout.JAVA_FLOAT, r, scale);
            for (int c = 0; c < cols; c++) {
                int q = Math.clamp(Math.round(w[base + c] * inv), -127, 127);
                codes.set(ValueLayout.JAVA_BYTE, (long) base + c, (byte) q);
            }
        }
        return new Int8Matrix(tensorName, rows, cols, codes, scales);
    }

    @Override
    public PackedMatrix read(String tensorName, int rows, int cols, FormatSpec spec, Map<String, MemorySegment> parts) {
        resolve(spec);
        MemorySegment codes = parts.get("codes");
        MemorySegment scales = parts.get("scales");
        if (codes == null || scales == null) {
            throw new IllegalArgumentException(tensorName + ": int8 needs the parts 'codes' and 'scales', got " + parts.keySet());
        }
        return new Int8Matrix(tensorName, rows, cols, codes, scales);
    }
}
