package io.isthmus.runtime.onednn;

import io.isthmus.runtime.kernel.ComputePool;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * oneDNN's weight decompression: bf16 activations × s8/u4 weights with grouped scales (and zero
 * points) → f32, the weights widened to bf16 inside the kernel (fpmath mode bf16 applied to
 * integers). oneDNN documents this as not optimized on CPU; bench-onednn measures it against
 * dequantizing tiles to bf16 ({@link DequantizedTiles}).
 */
final class DecompressedWeights extends PreparedWeights {
    private record PlanKey(int m, int n, int k, DataType type, int group, boolean zeroPoints) {
    }

    private final IntegerWeights w;
    private final MemoryDesc weightsDesc;
    private final int[] args;
    private final DnnlMemory[] memories;
    @SuppressWarnings("unused") private final MemorySegment[] keepAlive;

    DecompressedWeights(OneDnn dnn, IntegerWeights w) {
        super(dnn, w.rows(), w.cols());
        this.w = w;
        this.weightsDesc = MemoryDesc.columnMajor(dnn, k, n, w.type());
        int groups = w.groupsPerRow();
        // oneDNN reads grouped scales as a dense [K / group][N] array: transpose ours once
        Arena arena = Arena.ofAuto();
        MemorySegment scales = arena.allocate(4L * groups * n, 64);
        MemorySegment zeros = w.zeroPoints() == null ? null : arena.allocate((long) groups * n, 64);
        for (int r = 0; r < n; r++) {
            for (int g = 0; g < groups; g++) {
                long from = (long) r * groups + g;
                long to = (long) g * n + r;
                scales.setAtIndex(ValueLayout.JAVA_FLOAT, to, w.scales().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, from));
                if (zeros != null) {
                    zeros.set(ValueLayout.JAVA_BYTE, to, w.zeroPoints().get(ValueLayout.JAVA_BYTE, from));
                }
            }
        }
        try (MemoryDesc scalesDesc = MemoryDesc.rowMajor(dnn, groups, n, DataType.F32);
             MemoryDesc zerosDesc = MemoryDesc.rowMajor(dnn, groups, n, DataType.U8)) {
            if (zeros == null) {
                args = new int[] {Dnnl.ARG_WEIGHTS, Dnnl.ARG_ATTR_SCALES | Dnnl.ARG_WEIGHTS};
                memories = new DnnlMemory[] {DnnlMemory.wrap(dnn, weightsDesc, w.codes()), DnnlMemory.wrap(dnn, scalesDesc, scales)};
                keepAlive = new MemorySegment[] {scales};
            } else {
                args = new int[] {Dnnl.ARG_WEIGHTS, Dnnl.ARG_ATTR_SCALES | Dnnl.ARG_WEIGHTS, Dnnl.ARG_ATTR_ZERO_POINTS | Dnnl.ARG_WEIGHTS};
                memories = new DnnlMemory[] {DnnlMemory.wrap(dnn, weightsDesc, w.codes()), DnnlMemory.wrap(dnn, scalesDesc, scales),
                        DnnlMemory.wrap(dnn, zerosDesc, zeros)};
                keepAlive = new MemorySegment[] {scales, zeros};
            }
        }
    }

    @Override
    String path() {
        return "decompress-" + w.type().name().toLowerCase(java.util.Locale.ROOT) + "-g" + w.group();
    }

    @Override
    MatmulPlan plan(int m) {
        return dnn.cache().get(new PlanKey(m, n, k, w.type(), w.group(), w.zeroPoints() != null), () -> {
            MemoryDesc src = MemoryDesc.rowMajor(dnn, m, k, DataType.BF16);
            MemoryDesc dst = MemoryDesc.rowMajor(dnn, m, n, DataType.F32);
            long[] groups = {w.group(), 1};
            try (PrimitiveAttr attr = new PrimitiveAttr(dnn).scales(Dnnl.ARG_WEIGHTS, 3, groups, DataType.F32)
                    .fpMath(PrimitiveAttr.FpMath.BF16, true)) {
                if (w.zeroPoints() != null) {
                    attr.zeroPoints(Dnnl.ARG_WEIGHTS, 3, groups, DataType.U8);
                }
                return new MatmulPlan(Primitive.matmul(dnn, src, weightsDesc, null, dst, attr), src, dst);
            }
        });
    }

    @Override
    long sourceBytes(int m) {
        return 2L * m * k;
    }

    @Override
    void executeNative(ComputePool pool, int m, MemorySegment src, MemorySegment dst) {
        execute(pool, plan(m), src, dst, args, memories);
    }

    @Override
    void multiply(ComputePool pool, float[] x, int xOff, int m, float[] y, int yOff) {
        multiplyFromBf16(pool, x, xOff, m, y, yOff);
    }
}
