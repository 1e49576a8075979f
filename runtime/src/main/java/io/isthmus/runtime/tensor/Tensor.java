package io.isthmus.runtime.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A named weight tensor over a {@link MemorySegment} (usually a slice of a memory-mapped file).
 * {@code shape} is in ggml order: {@code shape[0]} is the innermost (contiguous) dimension, so a
 * matrix of {@code rows × cols} stored row-major has {@code shape = {cols, rows}}. Each row starts
 * at {@code row * rowBytes()}.
 */
public record Tensor(String name, GgmlType type, long[] shape, MemorySegment data) {

    public Tensor {
        shape = shape.clone();
        long need = type.rowBytes(shape[0]) * rowsOf(shape);
        if (data.byteSize() < need) {
            throw new IllegalArgumentException("tensor '" + name + "' of type " + type + " and shape "
                    + Arrays.toString(shape) + " needs " + need + " bytes but has " + data.byteSize());
        }
    }

    private static long rowsOf(long[] shape) {
        long rows = 1;
        for (int i = 1; i < shape.length; i++) {
            rows *= shape[i];
        }
        return rows;
    }

    /** Length of the innermost dimension (the input dimension of a weight matrix). */
    public int cols() {
        return Math.toIntExact(shape[0]);
    }

    /** Product of all outer dimensions (the output dimension of a weight matrix). */
    public int rows() {
        return Math.toIntExact(rowsOf(shape));
    }

    public long elementCount() {
        return shape[0] * rowsOf(shape);
    }

    /** Bytes between the starts of consecutive rows. */
    public long rowBytes() {
        return type.rowBytes(shape[0]);
    }

    public long byteSize() {
        return rowBytes() * rowsOf(shape);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Rows {@code [from, from + count)} as a tensor of the same type (no copy). */
    public Tensor sliceRows(int from, int count) {
        long[] s = {shape[0], count};
        return new Tensor(name, type, s, data.asSlice(from * rowBytes(), count * rowBytes()));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && name.equals(t.name) && type == t.type
                && Arrays.equals(shape, t.shape) && data.equals(t.data);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return "Tensor[" + name + ", " + type + ", " + Arrays.toString(shape) + "]";
    }
}
