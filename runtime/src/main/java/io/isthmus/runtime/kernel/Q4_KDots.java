package io.isthmus.runtime.kernel;

import static io.isthmus.runtime.kernel.VectorSettings.B;
import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.I;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;

import io.isthmus.runtime.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_K weights (super-blocks of 256: a 16-byte head of f16 d, f16 dmin and 12 bytes of 6-bit scales
 * and mins for eight sub-blocks of 32, then 128 bytes of nibbles; value d·sc·q − dmin·m; see
 * {@link Dequantize#q4_K}) for any placement of the super-blocks ({@link BlockDots}). Each 32 bytes of
 * codes are a group of 64 values: sub-block 2g in the low nibbles, 2g+1 in the high ones.
 *
 * <p>Two forms. {@link #GGUF} reads the file's blocks. {@link #GROUPED}, {@link RowGroupMatrix}'s,
 * has each head unpacked at load into 24 bytes — the sixteen 6-bit values as bytes, sc_0, m_0, sc_1,
 * m_1, ..., then d and −dmin as f32 — and each row's codes in 32-byte pieces with the group's other
 * rows' pieces between them, so that a group's product reads one stream in order. Unpacking the 6-bit
 * fields and converting the f16s cost the group kernel more than a third of its time; stored
 * unpacked (152 bytes per super-block instead of 144), a head becomes floats with a load, a widening
 * conversion and one multiply by d and −dmin broadcast as a pair.
 *
 * <p>One row at a time, each sub-block's sixteen values d·sc·q − dmin·m are one vector FMA of a
 * constant, and every nibble picks its value by a lane permute ({@code selectFrom}, whose index
 * wrap drops the other nibble). A group of four rows ({@link #rows4}) splits the product instead:
 * Σ_j d·sc_j·Σ q·x over the codes, converted to floats, and −dmin·Σ_j m_j·X_j from the sub-block
 * sums X_j of x, taken once per x row; four rows' lookups would make the method too large for C2.
 */
final class Q4_KDots extends BlockDots {

    private static final int BLOCK = 256;
    /** Bytes of a head in {@link #GROUPED}'s form. */
    private static final int UNPACKED_HEAD = 24;
    /** Float vectors per byte-vector load (2 at 128 bits, else 1). */
    private static final int PARTS = B.length() / LANES;
    /** Longs of a float vector: d and −dmin broadcast as a pair. */
    private static final VectorSpecies<Long> PAIRS = VectorSpecies.of(long.class, F.vectorShape());
    private static final long EVEN_BYTES = 0x00FF00FF00FF00FFL;
    /** q = 0..15, split over Table16.VECTORS vectors. */
    private static final FloatVector Q0 = codes(0), Q1 = codes(1), Q2 = codes(2), Q3 = codes(3);

    /** GGUF's blocks, each head and its codes together. */
    static final Q4_KDots GGUF = new Q4_KDots(16, 32);
    /** {@link RowGroupMatrix}'s form: unpacked heads, codes in 32-byte pieces of four rows side by side. */
    static final Q4_KDots GROUPED = new Q4_KDots(UNPACKED_HEAD, RowGroupMatrix.GROUP * 32);

    private final boolean unpacked;

    private Q4_KDots(int headBytes, int pieceStride) {
        super(GgmlType.Q4_K, 0, 16, 128, headBytes, 32, pieceStride);
        this.unpacked = headBytes == UNPACKED_HEAD;
    }

    private static FloatVector codes(int part) {
        float[] v = new float[LANES];
        for (int l = 0; l < LANES; l++) {
            v[l] = (part * LANES + l) % 16;
        }
        return FloatVector.fromArray(F, v, 0);
    }

    /*
     * The 12 scale bytes s[0..11] hold sub-block j's scale and min, SWAR-style as llama.cpp reads
     * them: j < 4 keeps its scale in the low 6 bits of s[j] and its min in those of s[j+4]; j >= 4
     * keeps the low 4 bits of scale and min in the low and high nibble of s[j+4], and bits 4-5 in the
     * top two bits of s[j-4] (scale) and s[j] (min). h0 and h1 are a GGUF head's bytes 0-7 and 8-15.
     */

    /** Sub-block j's scale in byte j. */
    private static long scales(long h0, long h1) {
        long s = h0 >>> 32 | h1 << 32, t = h1 >>> 32; // scale bytes 0-7 and 8-11
        return s & 0x3F3F3F3FL | (t & 0x0F0F0F0FL | s >>> 2 & 0x30303030L) << 32;
    }

    /** Sub-block j's min in byte j. */
    private static long mins(long h0, long h1) {
        long s = h0 >>> 32 | h1 << 32, t = h1 >>> 32;
        return s >>> 32 & 0x3F3F3F3FL | (t >>> 4 & 0x0F0F0F0FL | s >>> 34 & 0x30303030L) << 32;
    }

    /** The low four bytes of a and of b interleaved: a_0, b_0, a_1, b_1, ... */
    private static long interleave(long a, long b) {
        return Long.expand(a, EVEN_BYTES) | Long.expand(b, ~EVEN_BYTES);
    }

    /** d and −dmin as the bits of one long, d in the low half: a float vector of pairs when broadcast. */
    private static long pair(float d, float negDmin) {
        return Float.floatToRawIntBits(d) & 0xFFFFFFFFL | (long) Float.floatToRawIntBits(negDmin) << 32;
    }

    @Override
    void packHead(MemorySegment block, long blockAt, MemorySegment heads, long headAt) {
        if (!unpacked) {
            super.packHead(block, blockAt, heads, headAt);
            return;
        }
        long h0 = block.get(Dequantize.LONG_LE, blockAt), h1 = block.get(Dequantize.LONG_LE, blockAt + 8);
        long sc = scales(h0, h1), m = mins(h0, h1);
        heads.set(Dequantize.LONG_LE, headAt, interleave(sc, m));
        heads.set(Dequantize.LONG_LE, headAt + 8, interleave(sc >>> 32, m >>> 32));
        heads.set(Dequantize.LONG_LE, headAt + 16,
                pair(Float.float16ToFloat((short) h0), -Float.float16ToFloat((short) (h0 >>> 16))));
    }

    @Override
    void unpackHead(MemorySegment heads, long headAt, MemorySegment block) {
        if (!unpacked) {
            super.unpackHead(heads, headAt, block);
            return;
        }
        block.set(Dequantize.SHORT_LE, headOffset, Float.floatToFloat16(heads.get(Dequantize.FLOAT_LE, headAt + 16)));
        block.set(Dequantize.SHORT_LE, headOffset + 2, Float.floatToFloat16(-heads.get(Dequantize.FLOAT_LE, headAt + 20)));
        for (int i = 0; i < 4; i++) { // the layout the comment above describes, written back
            int sc = u8(heads, headAt + 2 * i), m = u8(heads, headAt + 2 * i + 1);
            int sc4 = u8(heads, headAt + 2 * i + 8), m4 = u8(heads, headAt + 2 * i + 9);
            block.set(ValueLayout.JAVA_BYTE, headOffset + 4 + i, (byte) (sc | sc4 >> 4 << 6));
            block.set(ValueLayout.JAVA_BYTE, headOffset + 8 + i, (byte) (m | m4 >> 4 << 6));
            block.set(ValueLayout.JAVA_BYTE, headOffset + 12 + i, (byte) (sc4 & 15 | (m4 & 15) << 4));
        }
    }

    private static int u8(MemorySegment seg, long at) {
        return seg.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    /**
     * The factors of the super-block whose head is at {@code ho}, interleaved into {@code ab[at ..]}:
     * d·sc_j at {@code at + 2j}, −dmin·m_j at {@code at + 2j + 1}.
     */
    private void factors(MemorySegment heads, long ho, float[] ab, int at) {
        if (unpacked) {
            unpackedFactors(heads, ho, ab, at);
            return;
        }
        long h0 = heads.get(Dequantize.LONG_LE, ho), h1 = heads.get(Dequantize.LONG_LE, ho + 8);
        float d = Float.float16ToFloat((short) h0);
        float negDmin = -Float.float16ToFloat((short) (h0 >>> 16));
        long sc = scales(h0, h1), m = mins(h0, h1);
        if (LANES >= 16) { // one vector: the sixteen bytes widened, converted and scaled at once
            ByteVector bytes = LongVector.broadcast(LongVector.SPECIES_128, interleave(sc, m))
                    .withLane(1, interleave(sc >>> 32, m >>> 32)).reinterpretAsBytes();
            FloatVector dm = LongVector.broadcast(PAIRS, pair(d, negDmin)).reinterpretAsFloats();
            ((FloatVector) bytes.convertShape(VectorOperators.B2F, F, 0)).mul(dm).intoArray(ab, at);
        } else {
            for (int j = 0; j < 8; j++) {
                ab[at + 2 * j] = d * (sc >>> 8 * j & 0xFF);
                ab[at + 2 * j + 1] = negDmin * (m >>> 8 * j & 0xFF);
            }
        }
    }

    /** {@link #factors} from an unpacked head: bytes widened to floats, times the (d, −dmin) pairs. */
    private static void unpackedFactors(MemorySegment heads, long ho, float[] ab, int at) {
        FloatVector dm = LongVector.broadcast(PAIRS, heads.get(Dequantize.LONG_LE, ho + 16)).reinterpretAsFloats();
        for (int v = 0; v < 16; v += LANES) {
            ((FloatVector) ByteVector.fromMemorySegment(B, heads, ho + v, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0).convert(VectorOperators.I2F, 0))
                    .mul(dm).intoArray(ab, at + v);
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

    /** The piece of codes group {@code gr} of a row reads (64 values, sub-blocks 2g and 2g+1 of super-block gr / 4). */
    private long piece(long codeAt, int codeStep, int gr) {
        return codeAt + (long) (gr >> 2) * codeStep + (long) (gr & 3) * pieceStride;
    }

    @Override
    void decode(MemorySegment codes, long codeAt, int codeStep, MemorySegment heads, long headAt, int headStep,
                int count, float[] out, int o) {
        float[] ab = scratch(16); // the per-thread array dot1 and dot4 use, not one allocation per row
        for (int b = 0; b < count; b++) {
            factors(heads, headAt + (long) b * headStep, ab, 0);
            for (int g = 0; g < 4; g++) {
                // d·sc·q − dmin·m as the scalar dequantizer rounds it: a product, then a sum with −dmin·m
                float dl = ab[4 * g], ml = ab[4 * g + 1], dh = ab[4 * g + 2], mh = ab[4 * g + 3];
                long qo = piece(codeAt, codeStep, 4 * b + g);
                int og = o + b * BLOCK + 64 * g;
                for (int j = 0; j < 32; j += B.length()) {
                    ByteVector q = ByteVector.fromMemorySegment(B, codes, qo + j, ByteOrder.LITTLE_ENDIAN);
                    for (int p = 0; p < PARTS; p++) {
                        IntVector bytes = (IntVector) q.convertShape(VectorOperators.B2I, I, p);
                        int c = og + j + p * LANES;
                        ((FloatVector) bytes.and(0x0F).convert(VectorOperators.I2F, 0)).mul(dl).add(ml).intoArray(out, c);
                        ((FloatVector) bytes.lanewise(VectorOperators.LSHR, 4).and(0x0F).convert(VectorOperators.I2F, 0))
                                .mul(dh).add(mh).intoArray(out, c + 32);
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
            int f = 16 * (gr >> 2) + 4 * (gr & 3); // the low sub-block's d·sc, −dmin·m, then the high one's
            FloatVector dl = FloatVector.broadcast(F, ab[f]), ml = FloatVector.broadcast(F, ab[f + 1]);
            FloatVector dh = FloatVector.broadcast(F, ab[f + 2]), mh = FloatVector.broadcast(F, ab[f + 3]);
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
            qo += (gr & 3) == 3 ? codeStep - 3L * pieceStride : pieceStride; // the next piece
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
        for (int b = 0; b < full; b++) {
            factors(heads, headAt + (long) b * headStep, ab, 0);
            for (int g = 0; g < 4; g++) {
                long qo = piece(codeAt, codeStep, 4 * b + g);
                FloatVector dl = FloatVector.broadcast(F, ab[4 * g]), ml = FloatVector.broadcast(F, ab[4 * g + 1]);
                FloatVector dh = FloatVector.broadcast(F, ab[4 * g + 2]), mh = FloatVector.broadcast(F, ab[4 * g + 3]);
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
     * The sub-block sums of x for {@link #rows4}: per super-block b, sixteen floats at 16·b laid out
     * like the {@link #factors}, 0 where d·sc_j goes and X_j = Σ x over sub-block j where −dmin·m_j
     * goes, so that one FMA of the two gives a row's min terms.
     */
    @Override
    void prepare(float[] x, int xo, int k, float[] prepared, int po) {
        int full = k / BLOCK;
        for (int b = 0; b < full; b++) {
            for (int j = 0; j < 8; j++) {
                int c = xo + b * BLOCK + 32 * j;
                FloatVector sum = FloatVector.fromArray(F, x, c);
                for (int i = LANES; i < 32; i += LANES) {
                    sum = sum.add(FloatVector.fromArray(F, x, c + i));
                }
                prepared[po + 16 * b + 2 * j] = 0;
                prepared[po + 16 * b + 2 * j + 1] = sum.reduceLanes(VectorOperators.ADD);
            }
        }
    }

    /**
     * A group of four rows in {@link #GROUPED}'s form (row r's super-block b: piece p of its codes at
     * {@code codeAt + 512·b + 128·p + 32·r}, its head at {@code headAt + 96·b + 24·r}) with the x sums
     * {@link #prepare} put in {@code prepared}. The four rows' factors are unpacked first (and
     * their min terms summed, {@link #groupFactors}); then per group of 64 columns each row's codes convert to floats (the
     * low nibble masked, the high one shifted), x is loaded once for the four rows, and each row's two
     * sub-block sums are scaled once.
     */
    @Override
    void rows4(MemorySegment codes, long codeAt, MemorySegment heads, long headAt, int k, float[] x, int xo,
               float[] prepared, int po, float[] scratch, float[] out) {
        if (!unpacked) { // GGUF's form is never grouped; the default takes whole blocks of four rows side by side
            super.rows4(codes, codeAt, heads, headAt, k, x, xo, prepared, po, scratch, out);
            return;
        }
        int full = k / BLOCK;
        int abAt = 0, minAt = 64 * full; // row r's factors of super-block b at abAt + 64·b + 16·r
        groupFactors(heads, headAt, full, prepared, po, scratch, abAt, minAt);
        groupSums(codes, codeAt, full, x, xo, scratch, abAt, out);
        int codeStep = 4 * 128, headStep = 4 * UNPACKED_HEAD;
        out[0] += scratch[minAt] + partialBlock(codes, codeAt, codeStep, heads, headAt, headStep, k, x, xo);
        out[1] += scratch[minAt + 1] + partialBlock(codes, codeAt + 32, codeStep, heads, headAt + UNPACKED_HEAD, headStep, k, x, xo);
        out[2] += scratch[minAt + 2] + partialBlock(codes, codeAt + 64, codeStep, heads, headAt + 2 * UNPACKED_HEAD, headStep, k, x, xo);
        out[3] += scratch[minAt + 3] + partialBlock(codes, codeAt + 96, codeStep, heads, headAt + 3 * UNPACKED_HEAD, headStep, k, x, xo);
    }

    /**
     * The factors of a group's four rows for {@link #rows4} into {@code scratch[abAt + 64·b + 16·r ..]},
     * and each row's min terms −Σ_b dmin·Σ_j m_j·X_j into {@code scratch[minAt + r]}, the X_j from
     * {@code xSums} ({@link #prepare}). A method of its
     * own: inside rows4, C2 compiled the whole at random into code twice the size and half the speed
     * in about one JVM run in three (Q4_K GEMV at 2 threads: 2400-2600 against 1000-1100 us).
     */
    private static void groupFactors(MemorySegment heads, long headAt, int full, float[] xSums, int xSumsAt, float[] scratch, int abAt,
                                     int minAt) {
        FloatVector m0 = FloatVector.zero(F), m1 = m0, m2 = m0, m3 = m0;
        for (int b = 0; b < full; b++) {
            long ho = headAt + 4L * UNPACKED_HEAD * b;
            int at = abAt + 64 * b;
            unpackedFactors(heads, ho, scratch, at);
            unpackedFactors(heads, ho + UNPACKED_HEAD, scratch, at + 16);
            unpackedFactors(heads, ho + 2 * UNPACKED_HEAD, scratch, at + 32);
            unpackedFactors(heads, ho + 3 * UNPACKED_HEAD, scratch, at + 48);
            for (int v = 0; v < 16; v += LANES) {
                FloatVector xs = FloatVector.fromArray(F, xSums, xSumsAt + 16 * b + v);
                m0 = FloatVector.fromArray(F, scratch, at + v).fma(xs, m0);
                m1 = FloatVector.fromArray(F, scratch, at + 16 + v).fma(xs, m1);
                m2 = FloatVector.fromArray(F, scratch, at + 32 + v).fma(xs, m2);
                m3 = FloatVector.fromArray(F, scratch, at + 48 + v).fma(xs, m3);
            }
        }
        scratch[minAt] = m0.reduceLanes(VectorOperators.ADD);
        scratch[minAt + 1] = m1.reduceLanes(VectorOperators.ADD);
        scratch[minAt + 2] = m2.reduceLanes(VectorOperators.ADD);
        scratch[minAt + 3] = m3.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Σ_j d·sc_j·Σ q·x of a group's four rows into {@code out[0..3]}, the factors at
     * {@code scratch[abAt ..]} ({@link #groupFactors}): the loop decode spends its time in.
     */
    private static void groupSums(MemorySegment codes, long codeAt, int full, float[] x, int xo, float[] scratch, int abAt,
                                  float[] out) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int gr = 0; gr < 4 * full; gr++) {
            long q = codeAt + 512L * (gr >> 2) + 128 * (gr & 3);
            int xc = xo + 64 * gr;
            FloatVector l0 = FloatVector.zero(F), l1 = l0, l2 = l0, l3 = l0, h0 = l0, h1 = l0, h2 = l0, h3 = l0;
            for (int j = 0; j < 32; j += B.length()) { // constant trip counts: fully unrolled
                ByteVector c0 = ByteVector.fromMemorySegment(B, codes, q + j, ByteOrder.LITTLE_ENDIAN);
                ByteVector c1 = ByteVector.fromMemorySegment(B, codes, q + 32 + j, ByteOrder.LITTLE_ENDIAN);
                ByteVector c2 = ByteVector.fromMemorySegment(B, codes, q + 64 + j, ByteOrder.LITTLE_ENDIAN);
                ByteVector c3 = ByteVector.fromMemorySegment(B, codes, q + 96 + j, ByteOrder.LITTLE_ENDIAN);
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
            int f = abAt + 64 * (gr >> 2) + 4 * (gr & 3); // row r's d·sc of the low sub-block at f + 16·r, the high one's 2 on
            a0 = h0.fma(FloatVector.broadcast(F, scratch[f + 2]), l0.fma(FloatVector.broadcast(F, scratch[f]), a0));
            a1 = h1.fma(FloatVector.broadcast(F, scratch[f + 18]), l1.fma(FloatVector.broadcast(F, scratch[f + 16]), a1));
            a2 = h2.fma(FloatVector.broadcast(F, scratch[f + 34]), l2.fma(FloatVector.broadcast(F, scratch[f + 32]), a2));
            a3 = h3.fma(FloatVector.broadcast(F, scratch[f + 50]), l3.fma(FloatVector.broadcast(F, scratch[f + 48]), a3));
        }
        out[0] = a0.reduceLanes(VectorOperators.ADD);
        out[1] = a1.reduceLanes(VectorOperators.ADD);
        out[2] = a2.reduceLanes(VectorOperators.ADD);
        out[3] = a3.reduceLanes(VectorOperators.ADD);
    }

    @Override
    int preparedSize(int k) {
        return 16 * (k / BLOCK);
    }

    @Override
    int rows4Scratch(int k) {
        return 64 * (k / BLOCK) + 4;
    }
}
