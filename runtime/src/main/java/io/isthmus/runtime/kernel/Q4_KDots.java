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
 * Q4_K weights (super-blocks of 256: a 16-byte head of f16 d, f16 dmin and 12 bytes of 6-bit scales
 * and mins for eight sub-blocks of 32, then 128 bytes of nibbles; value d·sc·q − dmin·m; see
 * {@link Dequantize#q4_K}) for any placement of the super-blocks ({@link BlockDots}). Each 32 bytes of
 * codes are a group of 64 values: sub-block 2g in the low nibbles, 2g+1 in the high ones.
 *
 * <p>One row at a time, each sub-block's sixteen values d·sc·q − dmin·m are one vector FMA of a
 * constant, and every nibble picks its value by a lane permute ({@code selectFrom}, whose index
 * wrap drops the other nibble). A group of four rows ({@link #rows4}) splits the product instead:
 * Σ_j d·sc_j·Σ q·x over the codes, converted to floats, and −dmin·Σ_j m_j·X_j from the sub-block
 * sums X_j of x, taken once per x row; four rows' lookups would make the method too large for C2.
 */
final class Q4_KDots extends BlockDots {

    private static final int BLOCK = 256;
    /** Float vectors per byte-vector load (2 at 128 bits, else 1). */
    private static final int PARTS = B.length() / LANES;
    /** The upper eight lanes, where the mins go (used at 512 bits). */
    private static final VectorMask<Float> HIGH_EIGHT = VectorMask.fromLong(F, 0xFF00L);
    /** Lanes 0↔1, 2↔3, ... of eight longs, and the odd ones of them (used at 512 bits). */
    private static final VectorShuffle<Long> SWAP_PAIRS = VectorShuffle.fromOp(LongVector.SPECIES_512, l -> l ^ 1);
    private static final VectorMask<Long> ODD_LONGS = VectorMask.fromLong(LongVector.SPECIES_512, 0xAAL);
    /** q = 0..15, split over Table16.VECTORS vectors. */
    private static final FloatVector Q0 = codes(0), Q1 = codes(1), Q2 = codes(2), Q3 = codes(3);

    static final Q4_KDots INSTANCE = new Q4_KDots();

    private Q4_KDots() {
        super(GgmlType.Q4_K, 0, 16, 16, 128);
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
     * d·sc_j and −dmin·m_j of the eight sub-blocks j of the super-block whose head is at {@code ho}
     * into {@code ab[at + j]} and {@code ab[at + 8 + j]}.
     */
    private static void factors(MemorySegment heads, long ho, float[] ab, int at) {
        long h0 = heads.get(Dequantize.LONG_LE, ho), h1 = heads.get(Dequantize.LONG_LE, ho + 8);
        float d = Float.float16ToFloat((short) h0);
        float dmin = -Float.float16ToFloat((short) (h0 >>> 16));
        long s = h0 >>> 32 | h1 << 32, t = h1 >>> 32; // scale bytes 0-7 and 8-11
        long scales = s & 0x3F3F3F3FL | (t & 0x0F0F0F0FL | s >>> 2 & 0x30303030L) << 32;
        long mins = s >>> 32 & 0x3F3F3F3FL | (t >>> 4 & 0x0F0F0F0FL | s >>> 34 & 0x30303030L) << 32;
        if (LANES >= 16) { // one vector: the sixteen bytes widened, converted and scaled at once
            ByteVector bytes = LongVector.broadcast(LongVector.SPECIES_128, scales).withLane(1, mins).reinterpretAsBytes();
            FloatVector dm = FloatVector.broadcast(F, d).blend(dmin, HIGH_EIGHT);
            ((FloatVector) bytes.convertShape(VectorOperators.B2F, F, 0)).mul(dm).intoArray(ab, at);
        } else {
            for (int j = 0; j < 8; j++) {
                ab[at + j] = d * (scales >>> 8 * j & 0xFF);
                ab[at + 8 + j] = dmin * (mins >>> 8 * j & 0xFF);
            }
        }
    }

    /**
     * {@link #factors} of four consecutive heads at {@code ho} (a {@link RowGroupMatrix} group's
     * super-block) into {@code ab[at + 16·r ..]}: at 512 bits the bit twiddling runs on the four
     * heads at once, as eight longs whose even lanes compute (the odd ones hold the other half).
     */
    private static void factors4(MemorySegment heads, long ho, float[] ab, int at) {
        if (LANES < 16) {
            for (int r = 0; r < 4; r++) {
                factors(heads, ho + 16L * r, ab, at + 16 * r);
            }
            return;
        }
        LongVector v = LongVector.fromMemorySegment(LongVector.SPECIES_512, heads, ho, ByteOrder.LITTLE_ENDIAN);
        LongVector w = v.rearrange(SWAP_PAIRS); // even lanes: head r's bytes 8-15 where v has 0-7
        LongVector s = v.lanewise(VectorOperators.LSHR, 32).or(w.lanewise(VectorOperators.LSHL, 32));
        LongVector t = w.lanewise(VectorOperators.LSHR, 32);
        LongVector scales = s.and(0x3F3F3F3FL).or(t.and(0x0F0F0F0FL).or(s.lanewise(VectorOperators.LSHR, 2).and(0x30303030L))
                .lanewise(VectorOperators.LSHL, 32));
        LongVector mins = s.lanewise(VectorOperators.LSHR, 32).and(0x3F3F3F3FL).or(t.lanewise(VectorOperators.LSHR, 4).and(0x0F0F0F0FL)
                .or(s.lanewise(VectorOperators.LSHR, 34).and(0x30303030L)).lanewise(VectorOperators.LSHL, 32));
        ByteVector bytes = scales.blend(mins.rearrange(SWAP_PAIRS), ODD_LONGS).reinterpretAsBytes(); // head r: 8 scales, 8 mins at 16·r
        for (int r = 0; r < 4; r++) {
            float d = Dequantize.f16(heads, ho + 16L * r), dmin = -Dequantize.f16(heads, ho + 16L * r + 2);
            FloatVector dm = FloatVector.broadcast(F, d).blend(dmin, HIGH_EIGHT);
            ((FloatVector) bytes.convertShape(VectorOperators.B2F, F, r)).mul(dm).intoArray(ab, at + 16 * r);
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
    void decode(MemorySegment codes, long codeAt, int codeStep, MemorySegment heads, long headAt, int headStep,
                int count, float[] out, int o) {
        long qo = codeAt, ho = headAt;
        for (int b = 0; b < count; b++, qo += codeStep, ho += headStep) {
            float d = Dequantize.f16(heads, ho);
            float dmin = Dequantize.f16(heads, ho + 2);
            long scales = ho + 4;
            for (int group = 0; group < 4; group++) {
                int sub = 2 * group;
                float d1 = d * Dequantize.scaleK4(heads, scales, sub), m1 = dmin * Dequantize.minK4(heads, scales, sub);
                float d2 = d * Dequantize.scaleK4(heads, scales, sub + 1), m2 = dmin * Dequantize.minK4(heads, scales, sub + 1);
                int og = o + b * BLOCK + 64 * group;
                for (int j = 0; j < 32; j += B.length()) {
                    ByteVector q = ByteVector.fromMemorySegment(B, codes, qo + 32L * group + j, ByteOrder.LITTLE_ENDIAN);
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

    /**
     * For one row the factors of the whole row are unpacked first, into a per-thread array, and the
     * product then runs as one loop over the row's groups: as a loop of four groups inside each
     * super-block, which C2 does not unroll, it was 1.3x slower.
     */
    @Override
    float dot1(MemorySegment codes, long codeAt, int codeStep, MemorySegment heads, long headAt, int headStep,
               int k, float[] x, int xo) {
        int full = k / BLOCK;
        float[] ab = scratch(16 * full);
        for (int b = 0; b < full; b++) {
            factors(heads, headAt + (long) b * headStep, ab, 16 * b);
        }
        // each 16-column step of a group adds to its own accumulator (low/high nibble, even/odd step)
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        long qo = codeAt;
        for (int gr = 0; gr < 4 * full; gr++) { // group gr: sub-block 2g of its super-block in the low nibbles, 2g+1 in the high
            int f = 16 * (gr >> 2) + 2 * (gr & 3); // the low sub-block's d·sc; −dmin·m 8 on
            FloatVector dl = FloatVector.broadcast(F, ab[f]), ml = FloatVector.broadcast(F, ab[f + 8]);
            FloatVector dh = FloatVector.broadcast(F, ab[f + 1]), mh = FloatVector.broadcast(F, ab[f + 9]);
            IntVector l0 = Q0.fma(dl, ml).reinterpretAsInts(), h0 = Q0.fma(dh, mh).reinterpretAsInts();
            IntVector l1 = Table16.VECTORS > 1 ? Q1.fma(dl, ml).reinterpretAsInts() : l0, h1 = Table16.VECTORS > 1 ? Q1.fma(dh, mh).reinterpretAsInts() : h0;
            IntVector l2 = Table16.VECTORS > 2 ? Q2.fma(dl, ml).reinterpretAsInts() : l0, h2 = Table16.VECTORS > 2 ? Q2.fma(dh, mh).reinterpretAsInts() : h0;
            IntVector l3 = Table16.VECTORS > 2 ? Q3.fma(dl, ml).reinterpretAsInts() : l0, h3 = Table16.VECTORS > 2 ? Q3.fma(dh, mh).reinterpretAsInts() : h0;
            int xc = xo + 64 * gr;
            for (int j = 0; j < 32; j += B.length()) { // constant trip counts: fully unrolled
                ByteVector q = ByteVector.fromMemorySegment(B, codes, qo + j, ByteOrder.LITTLE_ENDIAN);
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
            qo += (gr & 3) == 3 ? codeStep - 96 : 32; // the next super-block's codes
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD)
                + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, xo);
    }

    @Override
    void dot4(MemorySegment codes, long codeAt, int codeStep, MemorySegment heads, long headAt, int headStep,
              int k, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        int full = k / BLOCK;
        float[] ab = scratch(16);
        // low and high nibbles go to separate accumulators: one FMA per accumulator per step
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        long qb = codeAt, ho = headAt;
        for (int b = 0; b < full; b++, qb += codeStep, ho += headStep) {
            factors(heads, ho, ab, 0);
            for (int g = 0; g < 4; g++) {
                long qo = qb + 32 * g;
                FloatVector dl = FloatVector.broadcast(F, ab[2 * g]), ml = FloatVector.broadcast(F, ab[2 * g + 8]);
                FloatVector dh = FloatVector.broadcast(F, ab[2 * g + 1]), mh = FloatVector.broadcast(F, ab[2 * g + 9]);
                IntVector l0 = Q0.fma(dl, ml).reinterpretAsInts(), h0 = Q0.fma(dh, mh).reinterpretAsInts();
                IntVector l1 = Table16.VECTORS > 1 ? Q1.fma(dl, ml).reinterpretAsInts() : l0, h1 = Table16.VECTORS > 1 ? Q1.fma(dh, mh).reinterpretAsInts() : h0;
                IntVector l2 = Table16.VECTORS > 2 ? Q2.fma(dl, ml).reinterpretAsInts() : l0, h2 = Table16.VECTORS > 2 ? Q2.fma(dh, mh).reinterpretAsInts() : h0;
                IntVector l3 = Table16.VECTORS > 2 ? Q3.fma(dl, ml).reinterpretAsInts() : l0, h3 = Table16.VECTORS > 2 ? Q3.fma(dh, mh).reinterpretAsInts() : h0;
                for (int j = 0; j < 32; j += B.length()) {
                    ByteVector q = ByteVector.fromMemorySegment(B, codes, qo + j, ByteOrder.LITTLE_ENDIAN);
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
        out[0] = a0.add(b0).reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, x0);
        out[1] = a1.add(b1).reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, x1);
        out[2] = a2.add(b2).reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, x2);
        out[3] = a3.add(b3).reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, x3);
    }

    /**
     * The sub-block sums of x for {@link #rows4}: per super-block b, sixteen floats at 16·b, eight
     * zeros and then X_j = Σ x over sub-block j, laid out like the
     * {@link #factors} (d·sc_j, −dmin·m_j) so that one FMA of the two gives a row's min terms.
     */
    @Override
    void prepareRows4(float[] x, int xo, int k, float[] scratch) {
        int full = k / BLOCK;
        for (int b = 0; b < full; b++) {
            for (int j = 0; j < 8; j++) {
                int c = xo + b * BLOCK + 32 * j;
                FloatVector sum = FloatVector.fromArray(F, x, c);
                for (int i = LANES; i < 32; i += LANES) {
                    sum = sum.add(FloatVector.fromArray(F, x, c + i));
                }
                scratch[16 * b + j] = 0;
                scratch[16 * b + 8 + j] = sum.reduceLanes(VectorOperators.ADD);
            }
        }
    }

    /**
     * A group of four rows (row r's super-block b: codes at {@code codeAt + 512·b + 128·r}, head at
     * {@code headAt + 64·b + 16·r}) with the x sums {@link #prepareRows4} put in {@code scratch}.
     * The four rows' factors are unpacked first (and their min terms summed); then per group of 64
     * columns each row's codes convert to floats (the low nibble masked, the high one shifted), x is
     * loaded once for the four rows, and each row's two sub-block sums are scaled once.
     */
    @Override
    void rows4(MemorySegment codes, long codeAt, MemorySegment heads, long headAt, int k, float[] x, int xo,
               float[] scratch, float[] out) {
        int full = k / BLOCK;
        int abAt = 16 * full; // row r's factors of super-block b at abAt + 64·b + 16·r
        FloatVector m0 = FloatVector.zero(F), m1 = m0, m2 = m0, m3 = m0;
        for (int b = 0; b < full; b++) {
            long ho = headAt + 64L * b;
            int at = abAt + 64 * b;
            factors4(heads, ho, scratch, at);
            for (int v = 0; v < 16; v += LANES) {
                FloatVector xs = FloatVector.fromArray(F, scratch, 16 * b + v);
                m0 = FloatVector.fromArray(F, scratch, at + v).fma(xs, m0);
                m1 = FloatVector.fromArray(F, scratch, at + 16 + v).fma(xs, m1);
                m2 = FloatVector.fromArray(F, scratch, at + 32 + v).fma(xs, m2);
                m3 = FloatVector.fromArray(F, scratch, at + 48 + v).fma(xs, m3);
            }
        }
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int gr = 0; gr < 4 * full; gr++) {
            long q = codeAt + 512L * (gr >> 2) + 32 * (gr & 3);
            int xc = xo + 64 * gr;
            FloatVector l0 = FloatVector.zero(F), l1 = l0, l2 = l0, l3 = l0, h0 = l0, h1 = l0, h2 = l0, h3 = l0;
            for (int j = 0; j < 32; j += B.length()) { // constant trip counts: fully unrolled
                ByteVector c0 = ByteVector.fromMemorySegment(B, codes, q + j, ByteOrder.LITTLE_ENDIAN);
                ByteVector c1 = ByteVector.fromMemorySegment(B, codes, q + 128 + j, ByteOrder.LITTLE_ENDIAN);
                ByteVector c2 = ByteVector.fromMemorySegment(B, codes, q + 256 + j, ByteOrder.LITTLE_ENDIAN);
                ByteVector c3 = ByteVector.fromMemorySegment(B, codes, q + 384 + j, ByteOrder.LITTLE_ENDIAN);
                for (int p = 0; p < PARTS; p++) {
                    int c = xc + j + p * LANES;
                    FloatVector xl = FloatVector.fromArray(F, x, c), xh = FloatVector.fromArray(F, x, c + 32);
                    IntVector i0 = (IntVector) c0.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, p);
                    IntVector i1 = (IntVector) c1.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, p);
                    IntVector i2 = (IntVector) c2.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, p);
                    IntVector i3 = (IntVector) c3.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, p);
                    l0 = ((FloatVector) i0.and(0x0F).convert(VectorOperators.I2F, 0)).fma(xl, l0);
                    l1 = ((FloatVector) i1.and(0x0F).convert(VectorOperators.I2F, 0)).fma(xl, l1);
                    l2 = ((FloatVector) i2.and(0x0F).convert(VectorOperators.I2F, 0)).fma(xl, l2);
                    l3 = ((FloatVector) i3.and(0x0F).convert(VectorOperators.I2F, 0)).fma(xl, l3);
                    h0 = ((FloatVector) i0.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, h0);
                    h1 = ((FloatVector) i1.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, h1);
                    h2 = ((FloatVector) i2.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, h2);
                    h3 = ((FloatVector) i3.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, h3);
                }
            }
            int f = abAt + 64 * (gr >> 2) + 2 * (gr & 3); // row r's d·sc of the low sub-block at f + 16·r, the high one's next
            a0 = l0.fma(FloatVector.broadcast(F, scratch[f]), a0);
            a1 = l1.fma(FloatVector.broadcast(F, scratch[f + 16]), a1);
            a2 = l2.fma(FloatVector.broadcast(F, scratch[f + 32]), a2);
            a3 = l3.fma(FloatVector.broadcast(F, scratch[f + 48]), a3);
            b0 = h0.fma(FloatVector.broadcast(F, scratch[f + 1]), b0);
            b1 = h1.fma(FloatVector.broadcast(F, scratch[f + 17]), b1);
            b2 = h2.fma(FloatVector.broadcast(F, scratch[f + 33]), b2);
            b3 = h3.fma(FloatVector.broadcast(F, scratch[f + 49]), b3);
        }
        int codeStep = 4 * 128, headStep = 4 * 16;
        out[0] = a0.add(b0).add(m0).reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, xo);
        out[1] = a1.add(b1).add(m1).reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt + 128, codeStep, heads, headAt + 16, headStep, k, x, xo);
        out[2] = a2.add(b2).add(m2).reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt + 256, codeStep, heads, headAt + 32, headStep, k, x, xo);
        out[3] = a3.add(b3).add(m3).reduceLanes(VectorOperators.ADD) + partialBlock(codes, codeAt + 384, codeStep, heads, headAt + 48, headStep, k, x, xo);
    }

    @Override
    int rows4Scratch(int k) {
        return 80 * (k / BLOCK);
    }
}
