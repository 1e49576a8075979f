package io.isthmus.runtime.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Products and row decoding of {@link Q8_0Repacked}: {@link Q8_0Dots} over its groups of four
 * rows (codes 128 bytes and scales 8 bytes a block apart, the group's rows 32 and 2 bytes apart),
 * a whole group at a time for one x row.
 */
final class Q8_0RepackedKernel {

    private static final int BLOCK = Q8_0Dots.BLOCK;
    private static final int CODE_STEP = Q8_0Repacked.GROUP * BLOCK;
    private static final int SCALE_STEP = Q8_0Repacked.GROUP * 2;

    private Q8_0RepackedKernel() {
    }

    static void matmul(Q8_0Repacked w, MemorySegment codes, MemorySegment scales,
                       float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
        int k = w.cols();
        RowTiles.matmul(new RowTiles.RowDots() {
            private float[] scratch;

            @Override
            public float dot1(int row, float[] x, int xo) {
                return Q8_0Dots.dot1(codes, w.codeAt(row), CODE_STEP, scales, w.scaleAt(row), SCALE_STEP, k, x, xo);
            }

            @Override
            public void dot4(int row, float[] x, int x0, int x1, int x2, int x3, float[] out) {
                Q8_0Dots.dot4(codes, w.codeAt(row), CODE_STEP, scales, w.scaleAt(row), SCALE_STEP, k, x, x0, x1, x2, x3, out);
            }

            @Override
            public void rows4(int row, float[] x, int xo, float[] out) { // row starts a group
                if (scratch == null) {
                    scratch = new float[Q8_0Repacked.GROUP * Q8_0Repacked.blocks(k)];
                }
                Q8_0Dots.rows4(codes, w.codeAt(row), scales, w.scaleAt(row), k, x, xo, scratch, out);
            }
        }, w.rows(), k, x, xOff, m, y, yOff, rowFrom, rowTo);
    }

    static void decodeRow(Q8_0Repacked w, MemorySegment codes, MemorySegment scales, int row, float[] out, int off) {
        int k = w.cols();
        int full = k / BLOCK;
        Q8_0Dots.decode(codes, w.codeAt(row), CODE_STEP, scales, w.scaleAt(row), SCALE_STEP, full, out, off);
        if (full * BLOCK < k) {
            float d = Float.float16ToFloat(scales.get(Dequantize.SHORT_LE, w.scaleAt(row) + (long) full * SCALE_STEP));
            long at = w.codeAt(row) + (long) full * CODE_STEP;
            for (int c = full * BLOCK; c < k; c++) {
                out[off + c] = d * codes.get(ValueLayout.JAVA_BYTE, at + c - full * BLOCK);
            }
        }
    }
}
