package io.isthmus.runtime.onednn;

import io.isthmus.runtime.kernel.ComputePool;

import java.lang.foreign.MemorySegment;

/** bf16 weights × bf16 activations → f32, weights reordered once into oneDNN's preferred layout. */
final class Bf16Weights extends PreparedWeights {
    private record LayoutKey(int n, int k) {
    }

    private record PlanKey(int m, int n, int k) {
    }

    private final MemoryDesc layout;
    private final MemorySegment weights;
    private final DnnlMemory weightsMemory;

    /** {@code rowMajor} holds the N×K matrix in bf16, row after row (a GGUF BF16 tensor). */
    Bf16Weights(OneDnn dnn, MemorySegment rowMajor, int n, int k) {
        super(dnn, n, k);
        this.layout = layout(dnn, n, k);
        try (MemoryDesc plain = MemoryDesc.columnMajor(dnn, k, n, DataType.BF16)) {
            this.weights = reordered(dnn, plain, rowMajor, layout);
        }
        this.weightsMemory = DnnlMemory.wrap(dnn, layout, weights);
    }

    /** The layout oneDNN picks for K×N bf16 weights (asked once per shape). */
    static MemoryDesc layout(OneDnn dnn, int n, int k) {
        return dnn.cache().get(new LayoutKey(n, k), () -> {
            try (MemoryDesc src = MemoryDesc.rowMajor(dnn, LAYOUT_ROWS, k, DataType.BF16);
                 MemoryDesc any = MemoryDesc.any(dnn, k, n, DataType.BF16);
                 MemoryDesc dst = MemoryDesc.rowMajor(dnn, LAYOUT_ROWS, n, DataType.F32);
                 Primitive p = Primitive.matmul(dnn, src, any, null, dst, null)) {
                return p.weightsDesc();
            }
        });
    }

    @Override
    String path() {
        return "bf16";
    }

    @Override
    MatmulPlan plan(int m) {
        return dnn.cache().get(new PlanKey(m, n, k), () -> {
            MemoryDesc src = MemoryDesc.rowMajor(dnn, m, k, DataType.BF16);
            MemoryDesc dst = MemoryDesc.rowMajor(dnn, m, n, DataType.F32);
            return new MatmulPlan(Primitive.matmul(dnn, src, layout, null, dst, null), src, dst);
        });
    }

    @Override
    long sourceBytes(int m) {
        return 2L * m * k;
    }

    @Override
    void executeNative(ComputePool pool, int m, MemorySegment src, MemorySegment dst) {
        execute(pool, plan(m), src, dst, new int[] {Dnnl.ARG_WEIGHTS}, new DnnlMemory[] {weightsMemory});
    }

    @Override
    void multiply(ComputePool pool, float[] x, int xOff, int m, float[] y, int yOff) {
        multiplyFromBf16(pool, x, xOff, m, y, yOff);
    }
}
