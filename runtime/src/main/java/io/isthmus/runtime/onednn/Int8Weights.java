package io.isthmus.runtime.onednn;

import io.isthmus.runtime.kernel.ComputePool;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Dynamic int8: per-token u8 activations × s8 weights with a per-output-channel scale → f32.
 * Each activation row is quantized symmetrically ({@code s_i = max|x_i| / 127}, codes shifted by
 * the zero point 128 into u8); oneDNN applies the zero point and the weight scales, and the
 * per-token scale is applied as the result is copied back. Weights are reordered once into
 * oneDNN's layout (which carries the column sums the zero point needs).
 */
final class Int8Weights extends PreparedWeights {
    private record LayoutKey(int n, int k) {
    }

    private record PlanKey(int m, int n, int k) {
    }

    private static final int[] ARGS = {Dnnl.ARG_WEIGHTS, Dnnl.ARG_ATTR_SCALES | Dnnl.ARG_WEIGHTS,
            Dnnl.ARG_ATTR_ZERO_POINTS | Dnnl.ARG_SRC};

    private final MemoryDesc layout;
    private final MemorySegment weights;
    private final MemorySegment scales;
    private final MemorySegment zeroPoint;
    private final DnnlMemory[] memories;

    /** {@code codes}: N×K s8 row-major; {@code rowScales}: N f32 (w[r][c] = codes[r][c] · rowScales[r]). */
    Int8Weights(OneDnn dnn, MemorySegment codes, MemorySegment rowScales, int n, int k) {
        super(dnn, n, k);
        this.layout = layout(dnn, n, k);
        try (MemoryDesc plain = MemoryDesc.columnMajor(dnn, k, n, DataType.S8)) {
            this.weights = reordered(dnn, plain, codes, layout);
        }
        Arena arena = Arena.ofAuto();
        this.scales = arena.allocate(4L * n, 64);
        MemorySegment.copy(rowScales, 0, scales, 0, 4L * n);
        this.zeroPoint = arena.allocate(ValueLayout.JAVA_INT);
        zeroPoint.set(ValueLayout.JAVA_INT, 0, Activations.U8_ZERO_POINT);
        try (MemoryDesc scalesDesc = MemoryDesc.strided(dnn, new long[] {n}, DataType.F32, new long[] {1});
             MemoryDesc zpDesc = MemoryDesc.strided(dnn, new long[] {1}, DataType.S32, new long[] {1})) {
            this.memories = new DnnlMemory[] {DnnlMemory.wrap(dnn, layout, weights),
                    DnnlMemory.wrap(dnn, scalesDesc, scales), DnnlMemory.wrap(dnn, zpDesc, zeroPoint)};
        }
    }

    private static PrimitiveAttr attr(OneDnn dnn) {
        return new PrimitiveAttr(dnn)
                .scales(Dnnl.ARG_WEIGHTS, 1 << 1, new long[0], DataType.F32) // one per N (dim 1 of K×N)
                .zeroPoints(Dnnl.ARG_SRC, 0, new long[0], DataType.S32);
    }

    static MemoryDesc layout(OneDnn dnn, int n, int k) {
        return dnn.cache().get(new LayoutKey(n, k), () -> {
            try (MemoryDesc src = MemoryDesc.rowMajor(dnn, LAYOUT_ROWS, k, DataType.U8);
                 MemoryDesc any = MemoryDesc.any(dnn, k, n, DataType.S8);
                 MemoryDesc dst = MemoryDesc.rowMajor(dnn, LAYOUT_ROWS, n, DataType.F32);
                 PrimitiveAttr attr = attr(dnn);
                 Primitive p = Primitive.matmul(dnn, src, any, null, dst, attr)) {
                return p.weightsDesc();
            }
        });
    }

    @Override
    String path() {
        return "int8";
    }

    @Override
    MatmulPlan plan(int m) {
        return dnn.cache().get(new PlanKey(m, n, k), () -> {
            MemoryDesc src = MemoryDesc.rowMajor(dnn, m, k, DataType.U8);
            MemoryDesc dst = MemoryDesc.rowMajor(dnn, m, n, DataType.F32);
            try (PrimitiveAttr attr = attr(dnn)) {
                return new MatmulPlan(Primitive.matmul(dnn, src, layout, null, dst, attr), src, dst);
            }
        });
    }

    @Override
    long sourceBytes(int m) {
        return (long) m * k;
    }

    @Override
    void executeNative(ComputePool pool, int m, MemorySegment src, MemorySegment dst) {
        execute(pool, plan(m), src, dst, ARGS, memories);
    }

    @Override
    void multiply(ComputePool pool, float[] x, int xOff, int m, float[] y, int yOff) {
        Activations buffers = Activations.local();
        MemorySegment src = buffers.src(sourceBytes(m));
        MemorySegment dst = buffers.dst(4L * m * n);
        float[] tokenScales = buffers.rowScales(m);
        Activations.toU8(pool, x, xOff, m, k, src, tokenScales);
        executeNative(pool, m, src, dst);
        Activations.copyOut(pool, dst, m, n, y, yOff, tokenScales);
    }
}
