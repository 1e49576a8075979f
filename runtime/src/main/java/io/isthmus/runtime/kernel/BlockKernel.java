package io.isthmus.runtime.kernel;

import java.lang.foreign.MemorySegment;

/**
 * A block type's products in GGUF's layout, where the tensor is mapped: its {@link BlockDots} over
 * blocks that hold head and codes together. Models multiply the types {@code -Disthmus.repack} names
 * (Q8_0, Q4_0, Q4_K and Q6_K by default) through {@link RowGroupMatrix} instead; Q6_K in GGUF's layout
 * has its own kernel, {@link Q6_KKernel}.
 */
final class BlockKernel extends RowTiledKernel {

    private final BlockDots dots;
    private final int blockBytes;

    BlockKernel(BlockDots dots) {
        super(dots.type);
        this.dots = dots;
        this.blockBytes = dots.type.blockBytes();
    }

    @Override
    void decodeBlocks(MemorySegment w, long off, int count, float[] out, int o) {
        dots.decode(w, off + dots.codeOffset, blockBytes, w, off + dots.headOffset, blockBytes, count, out, o);
    }

    @Override
    float dot1(MemorySegment w, long off, int k, float[] x, int xo) {
        return dots.dot1(w, off + dots.codeOffset, blockBytes, w, off + dots.headOffset, blockBytes, k, x, xo);
    }

    @Override
    void dot4(MemorySegment w, long off, int k, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        dots.dot4(w, off + dots.codeOffset, blockBytes, w, off + dots.headOffset, blockBytes, k, x, x0, x1, x2, x3, out);
    }
}
