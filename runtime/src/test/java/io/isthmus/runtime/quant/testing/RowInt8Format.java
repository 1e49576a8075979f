package io.isthmus.runtime.quant.testing;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.quant.Calibration;
import io.isthmus.runtime.quant.PackedFormat;
import io.isthmus.runtime.quant.PackedMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * A test-only packed format, {@code test_int8}: symmetric int8 codes with one f32 scale per output
 * row, parts {@code codes} (rows × cols bytes) and {@code scales} (rows f32). With calibration the
 * scale is chosen among a few by the sensitivity-weighted error, so calibration changes the bytes. Registered through META-INF/services so the registry, the quantized-file loader
 * and worker JVMs find it in tests only.
 */
public final class RowInt8Format implements PackedFormat {
    public static final String NAME = "test_int8";
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Scales tried with calibration, as multiples of amax / 127 (none clips). */
    private static final float[] STRETCH = {1.0f, 1.005f, 1.01f, 1.015f, 1.02f};

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public FormatSpec resolve(FormatSpec spec) {
        if (spec.groupSize().isPresent() || spec.sparse()) {
            throw new IllegalArgumentException(NAME + " takes no group size and no +sparse suffix");
        }
        return spec;
    }

    @Override
    public PackedMatrix quantize(String tensorName, float[] w, int rows, int cols, FormatSpec spec,
                                 Calibration calibration, Arena arena) {
        if (cols % 2 != 0) {
            throw new IllegalArgumentException("test_int8 needs an even number of columns, got " + cols);
        }
        float[] sensitivity = calibration == null ? null : calibration.sensitivity(tensorName);
        MemorySegment codes = arena.allocate((long) rows * cols, 64);
        MemorySegment scales = arena.allocate(4L * rows, 64);
        for (int r = 0; r < rows; r++) {
            float amax = 0;
            for (int c = 0; c < cols; c++) {
                amax = Math.max(amax, Math.abs(w[r * cols + c]));
            }
            float best = amax / 127;
            if (sensitivity != null) {
                double bestErr = Double.MAX_VALUE;
                for (float stretch : STRETCH) {
                    float d = stretch * amax / 127;
                    double err = 0;
                    for (int c = 0; c < cols; c++) {
                        float v = w[r * cols + c];
                        float q = d == 0 ? 0 : Math.clamp(Math.round(v / d), -127, 127) * d;
                        err += sensitivity[c] * (v - q) * (v - q);
                    }
                    if (err < bestErr) {
                        bestErr = err;
                        best = d;
                    }
                }
            }
            scales.setAtIndex(F32, r, best);
            for (int c = 0; c < cols; c++) {
                int q = best == 0 ? 0 : Math.clamp(Math.round(w[r * cols + c] / best), -127, 127);
                codes.set(ValueLayout.JAVA_BYTE, (long) r * cols + c, (byte) q);
            }
        }
        return new RowInt8Matrix(tensorName, rows, cols, spec, codes, scales);
    }

    @Override
    public PackedMatrix read(String tensorName, int rows, int cols, FormatSpec spec, Map<String, MemorySegment> parts) {
        MemorySegment codes = part(parts, "codes", (long) rows * cols);
        MemorySegment scales = part(parts, "scales", 4L * rows);
        return new RowInt8Matrix(tensorName, rows, cols, spec, codes, scales);
    }

    private static MemorySegment part(Map<String, MemorySegment> parts, String name, long bytes) {
        MemorySegment s = parts.get(name);
        if (s == null) {
            throw new IllegalArgumentException("missing part '" + name + "'");
        }
        if (s.byteSize() != bytes) {
            throw new IllegalArgumentException("part '" + name + "' has " + s.byteSize() + " bytes, expected " + bytes);
        }
        return s;
    }
}
