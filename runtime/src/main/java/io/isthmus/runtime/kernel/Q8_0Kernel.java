package io.isthmus.runtime.kernel;

import io.isthmus.runtime.tensor.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * Q8_0 weights in GGUF's layout (blocks of 32: f16 scale + 32 int8, 34 bytes), multiplied where
 * they are mapped: {@link Q8_0Dots} with the scale and codes of a block interleaved. Models copy
 * their Q8_0 matrices into {@link Q8_0Repacked} at load, whose layout decodes faster.
 */
final class Q8_0Kernel extends RowTiledKernel {

    private static final int BLOCK_BYTES = 34;

    Q8_0Kernel() {
        super(GgmlType.Q8_0);
    }

    @Override
    void decodeBlocks(MemorySegment w, long off, int count, float[] out, int o) {
        Q8_0Dots.decode(w, off + 2, BLOCK_BYTES, w, off, BLOCK_BYTES, count, out, o);
    }

    @Override
    float dot1(MemorySegment w, long off, int k, float[] x, int xo) {
        return Q8_0Dots.dot1(w, off + 2, BLOCK_BYTES, w, off, BLOCK_BYTES, k, x, xo);
    }

    @Override
    void dot4(MemorySegment w, long off, int k, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        Q8_0Dots.dot4(w, off + 2, BLOCK_BYTES, w, off, BLOCK_BYTES, k, x, x0, x1, x2, x3, out);
    }
}
