package io.isthmus.runtime.onednn;

import io.isthmus.numa.CpuSet;
import io.isthmus.numa.Affinity;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The typed binding itself: f32 matmul with post-ops, and errors that name the oneDNN call. */
class OneDnnBindingTest {
    private static OneDnn dnn;

    @BeforeAll
    static void load() {
        CpuSet cpus = Affinity.currentAffinity();
        assumeTrue(OneDnn.get(cpus).isPresent(), "oneDNN unavailable: " + OneDnn.unavailableReason());
        dnn = OneDnn.get(cpus).orElseThrow();
    }

    private static MemorySegment floats(Arena arena, float[] v) {
        MemorySegment s = arena.allocate(4L * v.length, 64);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_FLOAT, 0, v.length);
        return s;
    }

    @Test
    void matmulWithBinaryAddReluAndSumPostOps() {
        int m = 3, k = 8, n = 5;
        Random r = new Random(1);
        float[] a = new float[m * k], b = new float[k * n], bias = new float[n], prev = new float[m * n];
        for (float[] v : new float[][] {a, b, bias, prev}) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) r.nextGaussian();
            }
        }
        try (Arena arena = Arena.ofConfined();
             MemoryDesc src = MemoryDesc.rowMajor(dnn, m, k, DataType.F32);
             MemoryDesc w = MemoryDesc.rowMajor(dnn, k, n, DataType.F32);
             MemoryDesc dst = MemoryDesc.rowMajor(dnn, m, n, DataType.F32);
             MemoryDesc row = MemoryDesc.rowMajor(dnn, 1, n, DataType.F32);
             PrimitiveAttr attr = new PrimitiveAttr(dnn).sum(0.5f).binary(PrimitiveAttr.Binary.ADD, row)
                     .eltwise(PrimitiveAttr.Eltwise.RELU, 0, 0);
             Primitive p = Primitive.matmul(dnn, src, w, null, dst, attr)) {
            MemorySegment out = floats(arena, prev);
            try (DnnlMemory ms = DnnlMemory.wrap(dnn, src, floats(arena, a));
                 DnnlMemory mw = DnnlMemory.wrap(dnn, w, floats(arena, b));
                 DnnlMemory md = DnnlMemory.wrap(dnn, dst, out);
                 DnnlMemory mb = DnnlMemory.wrap(dnn, row, floats(arena, bias))) {
                p.execute(new int[] {Dnnl.ARG_SRC, Dnnl.ARG_WEIGHTS, Dnnl.ARG_DST, PrimitiveAttr.binaryPostOpArg(1)},
                        new DnnlMemory[] {ms, mw, md, mb});
            }
            assertTrue(!p.implementation().isEmpty());
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int c = 0; c < k; c++) {
                        s += (double) a[i * k + c] * b[c * n + j];
                    }
                    double want = Math.max(0, 0.5 * prev[i * n + j] + s + bias[j]);
                    assertEquals(want, out.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * n + j), 1e-4, "(" + i + "," + j + ")");
                }
            }
        }
    }

    @Test
    void aRefusedDescriptorNamesTheCall() {
        try (MemoryDesc src = MemoryDesc.rowMajor(dnn, 4, 8, DataType.F32);
             MemoryDesc w = MemoryDesc.rowMajor(dnn, 9, 5, DataType.F32); // K mismatch
             MemoryDesc dst = MemoryDesc.rowMajor(dnn, 4, 5, DataType.F32)) {
            DnnlException e = assertThrows(DnnlException.class, () -> Primitive.matmul(dnn, src, w, null, dst, null));
            assertTrue(e.getMessage().startsWith("dnnl_matmul_primitive_desc_create failed: dnnl_"), e.getMessage());
        }
    }
}
