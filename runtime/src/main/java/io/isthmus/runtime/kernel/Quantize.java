package io.isthmus.runtime.kernel;

import io.isthmus.collectives.Bf16;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Round-to-nearest quantization of float matrices into new tensors, row by row, with ggml's
 * methods so results match files quantized by llama.cpp: Q8_0 scale amax/127; Q4_0 scale
 * max/−8 where max is the value of largest magnitude, sign kept (so that value maps to −8
 * exactly). A row whose length is not a multiple of 32 gets a zero-padded last block.
 */
public final class Quantize {

    private Quantize() {
    }

    /** Types {@link #quantize} produces. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0 -> true;
            default -> false;
        };
    }

    /**
     * A {@code rows × cols} tensor of {@code type} holding {@code data} (row-major, from
     * {@code off}), allocated in {@code arena}.
     */
    public static Tensor quantize(Arena arena, String name, GgmlType type, float[] data, int off, int rows, int cols) {
        if (!supports(type)) {
            throw new UnsupportedOperationException("cannot quantize to " + type + " (" + name + ")");
        }
        long rowBytes = type.rowBytes(cols);
        MemorySegment seg = arena.allocate(rowBytes * rows, 64);
        float[] padded = new float[Math.toIntExact(Math.ceilDiv((long) cols, type.blockSize()) * type.blockSize())];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(data, off + r * cols, padded, 0, cols); // tail stays zero
            MemorySegment row = seg.asSlice(r * rowBytes, rowBytes);
            switch (type) {
                case F32 -> MemorySegment.copy(padded, 0, row, Dequantize.FLOAT_LE, 0, cols);
                case F16 -> {
                    for (int c = 0; c < cols; c++) {
                        row.set(Dequantize.SHORT_LE, 2L * c, Float.floatToFloat16(padded[c]));
                    }
                }
                case BF16 -> {
                    for (int c = 0; c < cols; c++) {
                        row.set(Dequantize.SHORT_LE, 2L * c, Bf16.fromFloat(padded[c]));
                    }
                }
                case Q8_0 -> {
                    for (int b = 0; b * 32 < padded.length; b++) {
                        q8_0Block(padded, b * 32, row, b * 34L);
                    }
                }
                case Q4_0 -> {
                    for (int b = 0; b * 32 < padded.length; b++) {
                        q4_0Block(padded, b * 32, row, b * 18L);
                    }
                }
                default -> throw new AssertionError(type);
            }
        }
        return new Tensor(name, type, new long[] {cols, rows}, seg);
    }

    static void q8_0Block(float[] x, int from, MemorySegment out, long at) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[from + j]));
        }
        float d = amax / 127;
        float id = d != 0 ? 1 / d : 0;
        out.set(Dequantize.SHORT_LE, at, Float.floatToFloat16(d));
        for (int j = 0; j < 32; j++) {
            out.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) roundHalfAway(x[from + j] * id));
        }
    }

    static void q4_0Block(float[] x, int from, MemorySegment out, long at) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[from + j];
            if (Math.abs(v) > amax) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d != 0 ? 1 / d : 0;
        out.set(Dequantize.SHORT_LE, at, Float.floatToFloat16(d));
        for (int j = 0; j < 16; j++) {
            // +8.5 then truncation rounds to nearest in the shifted, non-negative range
            int lo = Math.min(15, (int) (x[from + j] * id + 8.5f));
            int hi = Math.min(15, (int) (x[from + j + 16] * id + 8.5f));
            out.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) (lo | (hi << 4)));
        }
    }

    /** C's roundf: halfway cases away from zero (Math.round would round −2.5 to −2). */
    static int roundHalfAway(float v) {
        return (int) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v); // in double: v + 0.5f could round up
    }
}
