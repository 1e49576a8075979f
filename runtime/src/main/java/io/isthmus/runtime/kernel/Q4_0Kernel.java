package io.isthmus.runtime.kernel;

import static io.isthmus.runtime.kernel.VectorSettings.B;
import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.I;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;

import io.isthmus.runtime.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0 weights (blocks of 32: f16 scale d + 16 bytes; byte j holds element j in its low nibble and
 * element j+16 in its high one; value (q−8)·d). Each block's sixteen values (q−8)·d are one vector
 * multiply of a constant; the bytes are widened to int lanes once, and each nibble picks its value
 * by a lane permute ({@code selectFrom}, whose index wrap drops the other nibble) — no per-element
 * conversion or scaling. The table takes one 512-bit vector, two 256-bit or four 128-bit ones.
 */
final class Q4_0Kernel extends RowTiledKernel {

    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 18;
    /** Float vectors per byte-vector load (2 at 128 bits, else 1). */
    private static final int PARTS = B.length() / LANES;
    /** q − 8 for q = 0..15, split over Table16.VECTORS vectors. */
    private static final FloatVector C0 = centred(0), C1 = centred(1), C2 = centred(2), C3 = centred(3);

    Q4_0Kernel() {
        super(GgmlType.Q4_0);
    }

    private static FloatVector centred(int part) {
        float[] v = new float[LANES];
        for (int l = 0; l < LANES; l++) {
            v[l] = (part * LANES + l) % 16 - 8;
        }
        return FloatVector.fromArray(F, v, 0);
    }

    @Override
    void decodeBlocks(MemorySegment w, long off, int count, float[] out, int o) {
        for (int b = 0; b < count; b++) {
            long bo = off + (long) b * BLOCK_BYTES;
            float d = Dequantize.f16(w, bo);
            int ob = o + b * BLOCK;
            for (int j = 0; j < BLOCK / 2; j += B.length()) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, bo + 2 + j, ByteOrder.LITTLE_ENDIAN);
                for (int p = 0; p < PARTS; p++) {
                    IntVector bytes = (IntVector) q.convertShape(VectorOperators.B2I, I, p);
                    int c = ob + j + p * LANES;
                    ((FloatVector) bytes.and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).mul(d).intoArray(out, c);
                    ((FloatVector) bytes.lanewise(VectorOperators.LSHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0))
                            .mul(d).intoArray(out, c + BLOCK / 2);
                }
            }
        }
    }

    @Override
    float dot1(MemorySegment w, long off, int k, float[] x, int xo) {
        int full = k / BLOCK;
        // two pairs of accumulators, swapped every block, so consecutive blocks' FMAs do not wait on each other
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < full; b++) {
            long bo = off + (long) b * BLOCK_BYTES;
            float d = Dequantize.f16(w, bo);
            IntVector t0 = C0.mul(d).reinterpretAsInts();
            IntVector t1 = Table16.VECTORS > 1 ? C1.mul(d).reinterpretAsInts() : t0;
            IntVector t2 = Table16.VECTORS > 2 ? C2.mul(d).reinterpretAsInts() : t0;
            IntVector t3 = Table16.VECTORS > 2 ? C3.mul(d).reinterpretAsInts() : t0;
            int xc = xo + b * BLOCK;
            for (int j = 0; j < BLOCK / 2; j += B.length()) { // constant trip counts: fully unrolled
                ByteVector q = ByteVector.fromMemorySegment(B, w, bo + 2 + j, ByteOrder.LITTLE_ENDIAN);
                for (int p = 0; p < PARTS; p++) {
                    IntVector lo = (IntVector) q.convertShape(VectorOperators.B2I, I, p);
                    IntVector hi = lo.lanewise(VectorOperators.LSHR, 4);
                    IntVector wl = Table16.select(lo, t0, t1, t2, t3);
                    IntVector wh = Table16.select(hi, t0, t1, t2, t3);
                    int c = xc + j + p * LANES;
                    a0 = wl.reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c), a0);
                    a1 = wh.reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + BLOCK / 2), a1);
                }
            }
            FloatVector t = a0;
            a0 = a2;
            a2 = t;
            t = a1;
            a1 = a3;
            a3 = t;
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD) + tail(w, off, k, x, xo);
    }

    private static float tail(MemorySegment w, long off, int k, float[] x, int xo) {
        int rest = k % BLOCK;
        if (rest == 0) {
            return 0;
        }
        float[] v = new float[BLOCK];
        Dequantize.q4_0(w, off + (long) (k / BLOCK) * BLOCK_BYTES, v, 0);
        return scalarDot(v, rest, x, xo + k - rest);
    }

    @Override
    void dot4(MemorySegment w, long off, int k, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        int full = k / BLOCK;
        // low and high halves go to separate accumulators: one FMA per accumulator per step
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int b = 0; b < full; b++) {
            long bo = off + (long) b * BLOCK_BYTES;
            float d = Dequantize.f16(w, bo);
            IntVector t0 = C0.mul(d).reinterpretAsInts();
            IntVector t1 = Table16.VECTORS > 1 ? C1.mul(d).reinterpretAsInts() : t0;
            IntVector t2 = Table16.VECTORS > 2 ? C2.mul(d).reinterpretAsInts() : t0;
            IntVector t3 = Table16.VECTORS > 2 ? C3.mul(d).reinterpretAsInts() : t0;
            for (int j = 0; j < BLOCK / 2; j += B.length()) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, bo + 2 + j, ByteOrder.LITTLE_ENDIAN);
                for (int p = 0; p < PARTS; p++) {
                    IntVector lo = (IntVector) q.convertShape(VectorOperators.B2I, I, p);
                    IntVector hi = lo.lanewise(VectorOperators.LSHR, 4);
                    FloatVector wl = Table16.select(lo, t0, t1, t2, t3).reinterpretAsFloats();
                    FloatVector wh = Table16.select(hi, t0, t1, t2, t3).reinterpretAsFloats();
                    int c = b * BLOCK + j + p * LANES;
                    a0 = wl.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                    a1 = wl.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                    a2 = wl.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                    a3 = wl.fma(FloatVector.fromArray(F, x, x3 + c), a3);
                    b0 = wh.fma(FloatVector.fromArray(F, x, x0 + c + BLOCK / 2), b0);
                    b1 = wh.fma(FloatVector.fromArray(F, x, x1 + c + BLOCK / 2), b1);
                    b2 = wh.fma(FloatVector.fromArray(F, x, x2 + c + BLOCK / 2), b2);
                    b3 = wh.fma(FloatVector.fromArray(F, x, x3 + c + BLOCK / 2), b3);
                }
            }
        }
        out[0] = a0.add(b0).reduceLanes(VectorOperators.ADD) + tail(w, off, k, x, x0);
        out[1] = a1.add(b1).reduceLanes(VectorOperators.ADD) + tail(w, off, k, x, x1);
        out[2] = a2.add(b2).reduceLanes(VectorOperators.ADD) + tail(w, off, k, x, x2);
        out[3] = a3.add(b3).reduceLanes(VectorOperators.ADD) + tail(w, off, k, x, x3);
    }
}
