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
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * Q4_K weights (super-blocks of 256: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins for eight
 * sub-blocks of 32, then 128 bytes of nibbles; value d·sc·q − dmin·m; see {@link Dequantize#q4_K}).
 * The sixteen scales and mins are unpacked once per super-block (scalar bit twiddling, then one
 * vector conversion and multiply at 512 bits). Each sub-block's sixteen values d·sc·q − dmin·m are
 * one vector FMA of a constant; each 16-byte load is widened to int lanes once, and every nibble
 * picks its value by a lane permute ({@code selectFrom}, whose index wrap drops the other nibble):
 * no per-element conversion, scaling or min term.
 *
 * <p>For one x row the factors of the whole row are unpacked first, into a per-thread array, and
 * the product then runs as one loop over the row's 32-byte groups: as a loop of four groups inside
 * each super-block, which C2 does not unroll, it was 1.3x slower.
 */
final class Q4_KKernel extends RowTiledKernel {

    private static final int BLOCK = 256;
    private static final int BLOCK_BYTES = 144;
    /** Float vectors per byte-vector load (2 at 128 bits, else 1). */
    private static final int PARTS = B.length() / LANES;
    /** The upper eight lanes, where the mins go (used at 512 bits). */
    private static final VectorMask<Float> HIGH_EIGHT = VectorMask.fromLong(F, 0xFF00L);
    /** A0, B0, A1, B1, ... from A0..A7, B0..B7 (used at 512 bits). */
    private static final VectorShuffle<Float> INTERLEAVE = VectorShuffle.fromOp(F, l -> l / 2 + 8 * (l % 2) & 15);
    /** q = 0..15, split over Table16.VECTORS vectors. */
    private static final FloatVector Q0 = codes(0), Q1 = codes(1), Q2 = codes(2), Q3 = codes(3);

    Q4_KKernel() {
        super(GgmlType.Q4_K);
    }

    private static FloatVector codes(int part) {
        float[] v = new float[LANES];
        for (int l = 0; l < LANES; l++) {
            v[l] = (part * LANES + l) % 16;
        }
        return FloatVector.fromArray(F, v, 0);
    }

    /*
     * The 12 scale bytes s[0..11] are unpacked once per super-block into one byte per sub-block,
     * SWAR-style as llama.cpp does: sub-block j < 4 keeps its scale in the low 6 bits of s[j] and
     * its min in those of s[j+4]; j >= 4 keeps the low 4 bits of scale and min in the low and high
     * nibble of s[j+4], and bits 4-5 in the top two bits of s[j-4] (scale) and s[j] (min).
     */

    /**
     * d·sc_j and −dmin·m_j of the eight sub-blocks j of the super-block at {@code bo} into
     * {@code ab[at + 2j]} and {@code ab[at + 2j + 1]}: group g's four factors lie at {@code at + 4g}.
     */
    private static void factors(MemorySegment w, long bo, float[] ab, int at) {
        long h0 = w.get(Dequantize.LONG_LE, bo), h1 = w.get(Dequantize.LONG_LE, bo + 8); // the 16-byte header
        float d = Float.float16ToFloat((short) h0);
        float dmin = -Float.float16ToFloat((short) (h0 >>> 16));
        long s = h0 >>> 32 | h1 << 32, t = h1 >>> 32; // scale bytes 0-7 and 8-11
        long scales = s & 0x3F3F3F3FL | (t & 0x0F0F0F0FL | s >>> 2 & 0x30303030L) << 32;
        long mins = s >>> 32 & 0x3F3F3F3FL | (t >>> 4 & 0x0F0F0F0FL | s >>> 34 & 0x30303030L) << 32;
        if (LANES >= 16) { // one vector: the sixteen bytes widened, converted and scaled at once
            ByteVector bytes = LongVector.broadcast(LongVector.SPECIES_128, scales).withLane(1, mins).reinterpretAsBytes();
            FloatVector dm = FloatVector.broadcast(F, d).blend(dmin, HIGH_EIGHT);
            ((FloatVector) bytes.convertShape(VectorOperators.B2F, F, 0)).mul(dm).rearrange(INTERLEAVE).intoArray(ab, at);
        } else {
            for (int j = 0; j < 8; j++) {
                ab[at + 2 * j] = d * (scales >>> 8 * j & 0xFF);
                ab[at + 2 * j + 1] = dmin * (mins >>> 8 * j & 0xFF);
            }
        }
    }

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    /** A per-thread array of at least {@code n} floats (a row's factors; the pool's threads multiply many rows). */
    private static float[] scratch(int n) {
        float[][] holder = SCRATCH.get();
        if (holder[0].length < n) {
            holder[0] = new float[n];
        }
        return holder[0];
    }

    @Override
    void decodeBlocks(MemorySegment w, long off, int count, float[] out, int o) {
        for (int b = 0; b < count; b++) {
            long bo = off + (long) b * BLOCK_BYTES;
            float d = Dequantize.f16(w, bo);
            float dmin = Dequantize.f16(w, bo + 2);
            long scales = bo + 4;
            for (int group = 0; group < 4; group++) {
                int sub = 2 * group;
                float d1 = d * Dequantize.scaleK4(w, scales, sub), m1 = dmin * Dequantize.minK4(w, scales, sub);
                float d2 = d * Dequantize.scaleK4(w, scales, sub + 1), m2 = dmin * Dequantize.minK4(w, scales, sub + 1);
                int og = o + b * BLOCK + 64 * group;
                for (int j = 0; j < 32; j += B.length()) {
                    ByteVector q = ByteVector.fromMemorySegment(B, w, bo + 16 + 32L * group + j, ByteOrder.LITTLE_ENDIAN);
                    for (int p = 0; p < PARTS; p++) {
                        IntVector bytes = (IntVector) q.convertShape(VectorOperators.B2I, I, p);
                        int c = og + j + p * LANES;
                        // d·sc·q − dmin·m as the scalar dequantizer rounds it: a product, then a difference
                        ((FloatVector) bytes.and(0x0F).convert(VectorOperators.I2F, 0)).mul(d1).sub(m1).intoArray(out, c);
                        ((FloatVector) bytes.lanewise(VectorOperators.LSHR, 4).and(0x0F).convert(VectorOperators.I2F, 0))
                                .mul(d2).sub(m2).intoArray(out, c + 32);
                    }
                }
            }
        }
    }

    @Override
    float dot1(MemorySegment w, long off, int k, float[] x, int xo) {
        int full = k / BLOCK;
        float[] ab = scratch(16 * full);
        for (int b = 0; b < full; b++) { // all factors first: the loop below then runs over the row's groups
            factors(w, off + (long) b * BLOCK_BYTES, ab, 16 * b);
        }
        // each 16-column step of a group adds to its own accumulator (low/high nibble, even/odd step)
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        long qo = off + 16;
        for (int gr = 0; gr < 4 * full; gr++) { // group gr: sub-block 2g of its super-block in the low nibbles, 2g+1 in the high
            {
                FloatVector dl = FloatVector.broadcast(F, ab[4 * gr]), ml = FloatVector.broadcast(F, ab[4 * gr + 1]);
                FloatVector dh = FloatVector.broadcast(F, ab[4 * gr + 2]), mh = FloatVector.broadcast(F, ab[4 * gr + 3]);
                IntVector l0 = Q0.fma(dl, ml).reinterpretAsInts(), h0 = Q0.fma(dh, mh).reinterpretAsInts();
                IntVector l1 = Table16.VECTORS > 1 ? Q1.fma(dl, ml).reinterpretAsInts() : l0, h1 = Table16.VECTORS > 1 ? Q1.fma(dh, mh).reinterpretAsInts() : h0;
                IntVector l2 = Table16.VECTORS > 2 ? Q2.fma(dl, ml).reinterpretAsInts() : l0, h2 = Table16.VECTORS > 2 ? Q2.fma(dh, mh).reinterpretAsInts() : h0;
                IntVector l3 = Table16.VECTORS > 2 ? Q3.fma(dl, ml).reinterpretAsInts() : l0, h3 = Table16.VECTORS > 2 ? Q3.fma(dh, mh).reinterpretAsInts() : h0;
                int xc = xo + 64 * gr;
                for (int j = 0; j < 32; j += B.length()) { // constant trip counts: fully unrolled
                    ByteVector q = ByteVector.fromMemorySegment(B, w, qo + j, ByteOrder.LITTLE_ENDIAN);
                    for (int p = 0; p < PARTS; p++) {
                        IntVector lo = (IntVector) q.convertShape(VectorOperators.B2I, I, p);
                        IntVector hi = lo.lanewise(VectorOperators.LSHR, 4);
                        FloatVector wl = Table16.select(lo, l0, l1, l2, l3).reinterpretAsFloats();
                        FloatVector wh = Table16.select(hi, h0, h1, h2, h3).reinterpretAsFloats();
                        int c = xc + j + p * LANES;
                        if ((j / B.length() * PARTS + p) % 2 == 0) {
                            a0 = wl.fma(FloatVector.fromArray(F, x, c), a0);
                            a2 = wh.fma(FloatVector.fromArray(F, x, c + 32), a2);
                        } else {
                            a1 = wl.fma(FloatVector.fromArray(F, x, c), a1);
                            a3 = wh.fma(FloatVector.fromArray(F, x, c + 32), a3);
                        }
                    }
                }
            }
            qo += (gr & 3) == 3 ? 48 : 32; // the next super-block's nibbles start after its 16-byte header
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD) + partialBlock(w, off, k, x, xo);
    }

    @Override
    void dot4(MemorySegment w, long off, int k, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        int full = k / BLOCK;
        float[] ab = scratch(16);
        // low and high nibbles go to separate accumulators: one FMA per accumulator per step
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int b = 0; b < full; b++) {
            long bo = off + (long) b * BLOCK_BYTES;
            factors(w, bo, ab, 0);
            for (int g = 0; g < 4; g++) {
                long qo = bo + 16 + 32 * g;
                FloatVector dl = FloatVector.broadcast(F, ab[4 * g]), ml = FloatVector.broadcast(F, ab[4 * g + 1]);
                FloatVector dh = FloatVector.broadcast(F, ab[4 * g + 2]), mh = FloatVector.broadcast(F, ab[4 * g + 3]);
                IntVector l0 = Q0.fma(dl, ml).reinterpretAsInts(), h0 = Q0.fma(dh, mh).reinterpretAsInts();
                IntVector l1 = Table16.VECTORS > 1 ? Q1.fma(dl, ml).reinterpretAsInts() : l0, h1 = Table16.VECTORS > 1 ? Q1.fma(dh, mh).reinterpretAsInts() : h0;
                IntVector l2 = Table16.VECTORS > 2 ? Q2.fma(dl, ml).reinterpretAsInts() : l0, h2 = Table16.VECTORS > 2 ? Q2.fma(dh, mh).reinterpretAsInts() : h0;
                IntVector l3 = Table16.VECTORS > 2 ? Q3.fma(dl, ml).reinterpretAsInts() : l0, h3 = Table16.VECTORS > 2 ? Q3.fma(dh, mh).reinterpretAsInts() : h0;
                for (int j = 0; j < 32; j += B.length()) {
                    ByteVector q = ByteVector.fromMemorySegment(B, w, qo + j, ByteOrder.LITTLE_ENDIAN);
                    for (int p = 0; p < PARTS; p++) {
                        IntVector lo = (IntVector) q.convertShape(VectorOperators.B2I, I, p);
                        IntVector hi = lo.lanewise(VectorOperators.LSHR, 4);
                        FloatVector wl = Table16.select(lo, l0, l1, l2, l3).reinterpretAsFloats();
                        FloatVector wh = Table16.select(hi, h0, h1, h2, h3).reinterpretAsFloats();
                        int c = b * BLOCK + 64 * g + j + p * LANES;
                        a0 = wl.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                        a1 = wl.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                        a2 = wl.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                        a3 = wl.fma(FloatVector.fromArray(F, x, x3 + c), a3);
                        b0 = wh.fma(FloatVector.fromArray(F, x, x0 + c + 32), b0);
                        b1 = wh.fma(FloatVector.fromArray(F, x, x1 + c + 32), b1);
                        b2 = wh.fma(FloatVector.fromArray(F, x, x2 + c + 32), b2);
                        b3 = wh.fma(FloatVector.fromArray(F, x, x3 + c + 32), b3);
                    }
                }
            }
        }
        out[0] = a0.add(b0).reduceLanes(VectorOperators.ADD) + partialBlock(w, off, k, x, x0);
        out[1] = a1.add(b1).reduceLanes(VectorOperators.ADD) + partialBlock(w, off, k, x, x1);
        out[2] = a2.add(b2).reduceLanes(VectorOperators.ADD) + partialBlock(w, off, k, x, x2);
        out[3] = a3.add(b3).reduceLanes(VectorOperators.ADD) + partialBlock(w, off, k, x, x3);
    }
}
