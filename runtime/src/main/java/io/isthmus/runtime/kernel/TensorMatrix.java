package io.isthmus.runtime.kernel;

import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.Objects;

/** A GGUF-typed {@link Tensor} (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K) as a {@link WeightMatrix}. */
public record TensorMatrix(Tensor tensor, MatMulKernel kernel) implements WeightMatrix {

    public TensorMatrix {
        Objects.requireNonNull(tensor);
        Objects.requireNonNull(kernel);
    }

    /** The tensor with the kernel for its type; throws for types Isthmus cannot multiply. */
    public static TensorMatrix of(Tensor t) {
        return new TensorMatrix(t, MatMulKernels.forType(t.type()));
    }

    public GgmlType type() {
        return tensor.type();
    }

    @Override
    public String name() {
        return tensor.name();
    }

    @Override
    public int rows() {
        return tensor.rows();
    }

    @Override
    public int cols() {
        return tensor.cols();
    }

    @Override
    public String format() {
        return tensor.type().name().toLowerCase(Locale.ROOT);
    }

    @Override
    public long byteSize() {
        return tensor.byteSize();
    }

    @Override
    public void matmul(float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
        kernel.matmul(tensor, x, xOff, m, y, yOff, rowFrom, rowTo);
    }

    @Override
    public RowProduct product(float[] x, int xOff, int m, float[] y, int yOff) {
        return kernel.product(tensor, x, xOff, m, y, yOff);
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        Dequantize.row(tensor, row, out, off);
    }

    @Override
    public void decodeRow(int row, float[] out, int off) {
        kernel.decodeRow(tensor, row, out, off);
    }

    @Override
    public int columnGrain() {
        return tensor.type().blockSize();
    }

    @Override
    public TensorMatrix sliceRows(int from, int count) {
        return new TensorMatrix(tensor.sliceRows(from, count), kernel);
    }

    @Override
    public TensorMatrix sliceColumns(int from, int count, Arena arena) {
        GgmlType type = tensor.type();
        Objects.checkFromIndexSize(from, count, cols());
        if (from % type.blockSize() != 0 || (count % type.blockSize() != 0 && from + count != cols())) {
            throw new IllegalArgumentException("columns [" + from + ", " + (from + count) + ") of " + tensor
                    + " break its blocks of " + type.blockSize());
        }
        long skip = type.rowBytes(from);
        long rowBytes = type.rowBytes(count);
        int rows = rows();
        MemorySegment dst = arena.allocate(rowBytes * rows, 64);
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(tensor.data(), r * tensor.rowBytes() + skip, dst, r * rowBytes, rowBytes);
        }
        return new TensorMatrix(new Tensor(tensor.name(), type, new long[] {count, rows}, dst), kernel);
    }
}
