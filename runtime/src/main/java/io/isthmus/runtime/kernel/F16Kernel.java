package io.isthmus.runtime.kernel;

import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.I;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;
import static io.isthmus.runtime.kernel.VectorSettings.S;

import io.isthmus.runtime.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * F16 weights, decoded in registers without a table: the half is sign-extended to an int and
 * shifted left by 13, which puts its exponent and mantissa in the float's places and its sign at
 * bit 31 (bits 28-30, copies of the sign, are masked off). That float is the weight times 2^-112,
 * exactly, for normals and subnormals alike (zero stays zero); inf/NaN are not preserved, weights
 * have none. {@link #decode} multiplies by 2^112. The dot products do not: they read x times 2^112
 * instead ({@link #input}), made once per product, so each weight vector costs three integer ops
 * and its FMAs. Scaling by powers of two is exact, so the sums are the same floats as with
 * decoded weights. An x row whose magnitude would overflow once scaled (|x| ≥ 2^15) is scaled by
 * less and its results multiplied back. Without the multiplication a 4-row product (beam search,
 * batched decode) from DRAM ran 1.2-1.35× faster in a probe (32000×512, one and two cores).
 *
 * <p>The dot products address a row as pieces of {@link VectorSettings#LANES} halves {@code step}
 * bytes apart: {@link #ROW_STEP} in GGUF's row-major layout, twice that in {@link F16PairMatrix}'s,
 * where two rows alternate piece by piece.
 *
 * <p>The decode is written out in each loop on purpose: a helper taking or returning vectors that
 * C2 declines to inline (too large, or already compiled) forces the vectors into heap boxes and
 * costs 10-100×, as measured.
 */
final class F16Kernel extends RowTiledKernel {

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int MASK = 0x8FFFE000;
    private static final float RESCALE = 0x1p112f;
    /** What the register decode leaves each weight multiplied by (the scalar tails match it). */
    private static final float DECODED_SCALE = 0x1p-112f;
    /** The exponent of {@link #RESCALE}. */
    private static final int RESCALE_EXPONENT = 112;
    /** Largest exponent of an x value that can take the whole rescale without overflowing. */
    private static final int MAX_UNSCALED_EXPONENT = 14;
    /** Bytes from one piece of a GGUF row to the next: the pieces are contiguous. */
    static final long ROW_STEP = 2L * LANES;
    /**
     * Fewest x rows for which GGUF's adjacent rows go in pairs ({@link #dot2x4}): below it each weight
     * row is read once, from DRAM, and two streams of adjacent rows measured slower than one
     * (prose-llama f16 beam 4 at 2 threads, alternating runs: 3.10-3.49 ms/token in pairs against
     * 2.67-3.16 one row at a time).
     */
    private static final int PAIRS_FROM = 8;

    F16Kernel() {
        super(GgmlType.F16);
    }

    /** {@code count} halves from byte {@code off} of {@code w} as floats into {@code out[o..]} (the same values as {@link Float#float16ToFloat}, inf/NaN aside). */
    static void decode(MemorySegment w, long off, int count, float[] out, int o) {
        int c = 0;
        for (int bound = count - LANES; c <= bound; c += LANES) {
            ((IntVector) ShortVector.fromMemorySegment(S, w, off + 2L * c, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(MASK)
                    .reinterpretAsFloats().mul(RESCALE).intoArray(out, o + c);
        }
        for (; c < count; c++) {
            out[o + c] = Dequantize.f16(w, off + 2L * c);
        }
    }

    @Override
    Input input(float[] x, int xOff, int m, int k) {
        return scaledInput(x, xOff, m, k);
    }

    /**
     * x rows ({@code m} of {@code k} from {@code xOff}) times 2^112 (or less, see the class comment)
     * in a new array, 64-byte aligned, as the dots read them: for both F16 layouts.
     */
    static Input scaledInput(float[] x, int xOff, int m, int k) {
        Objects.checkFromIndexSize(xOff, (long) m * k > Integer.MAX_VALUE ? -1 : m * k, x.length);
        AlignedFloats.Span span = AlignedFloats.allocate(m * k); // loaded as x is (see AlignedFloats)
        float[] scaled = span.array();
        int at = span.offset();
        float[] rowScales = null;
        for (int i = 0; i < m; i++) {
            int e = Math.getExponent(Ops.maxAbs(x, xOff + i * k, k));
            int back = Math.max(0, e - MAX_UNSCALED_EXPONENT); // results come back 2^back too small
            System.arraycopy(x, xOff + i * k, scaled, at + i * k, k);
            Ops.scale(scaled, at + i * k, Math.scalb(1f, RESCALE_EXPONENT - back), k);
            if (back > 0) {
                if (rowScales == null) {
                    rowScales = new float[m];
                    java.util.Arrays.fill(rowScales, 1f);
                }
                rowScales[i] = Math.scalb(1f, back);
            }
        }
        return new Input(scaled, at, rowScales);
    }

    @Override
    float dot1(MemorySegment w, long off, int k, float[] x, int xo) {
        return dot1(w, off, ROW_STEP, k, x, xo);
    }

    @Override
    void dot4(MemorySegment w, long off, int k, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        dot4(w, off, ROW_STEP, k, x, x0, x1, x2, x3, out);
    }

    @Override
    RowTiles.PairTile pairTile(MemorySegment w, long rowBytes, int k, int m) {
        return m < PAIRS_FROM ? null : (row, x, x0, x1, x2, x3, out) ->
                dot2x4(w, row * rowBytes, (row + 1) * rowBytes, ROW_STEP, k, x, x0, x1, x2, x3, out);
    }

    /** Σ_c W[c]·x[xo + c] over a row whose pieces start at {@code off}, {@code step} bytes apart. */
    static float dot1(MemorySegment w, long off, long step, int k, float[] x, int xo) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int c = 0;
        long o = off;
        for (int bound = k - 2 * LANES; c <= bound; c += 2 * LANES, o += 2 * step) {
            FloatVector w0 = ((IntVector) ShortVector.fromMemorySegment(S, w, o, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(MASK)
                    .reinterpretAsFloats();
            FloatVector w1 = ((IntVector) ShortVector.fromMemorySegment(S, w, o + step, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(MASK)
                    .reinterpretAsFloats();
            a0 = w0.fma(FloatVector.fromArray(F, x, xo + c), a0);
            a1 = w1.fma(FloatVector.fromArray(F, x, xo + c + LANES), a1);
        }
        for (int bound = k - LANES; c <= bound; c += LANES, o += step) {
            FloatVector w0 = ((IntVector) ShortVector.fromMemorySegment(S, w, o, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(MASK)
                    .reinterpretAsFloats();
            a0 = w0.fma(FloatVector.fromArray(F, x, xo + c), a0);
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; c < k; c++) {
            s += tail(w, off, step, c) * x[xo + c];
        }
        return s;
    }

    /**
     * Two rows, their pieces from {@code off} and {@code off1}, each with one x row: {@code out[o]}
     * and {@code out[o + 1]}. Each x vector is loaded once for both rows; what a single x row goes
     * through where two rows share a stream ({@link F16PairMatrix}), which {@link #dot1} would read
     * one piece in two, twice: that ran at about half the speed from DRAM.
     */
    static void dot2x1(MemorySegment w, long off, long off1, long step, int k, float[] x, int xo, float[] out, int o) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0;
        int c = 0;
        long piece = 0;
        for (int bound = k - 2 * LANES; c <= bound; c += 2 * LANES, piece += 2 * step) {
            FloatVector v0 = FloatVector.fromArray(F, x, xo + c), v1 = FloatVector.fromArray(F, x, xo + c + LANES);
            FloatVector wa0 = ((IntVector) ShortVector.fromMemorySegment(S, w, off + piece, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(MASK).reinterpretAsFloats();
            FloatVector wb0 = ((IntVector) ShortVector.fromMemorySegment(S, w, off1 + piece, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(MASK).reinterpretAsFloats();
            FloatVector wa1 = ((IntVector) ShortVector.fromMemorySegment(S, w, off + piece + step, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(MASK).reinterpretAsFloats();
            FloatVector wb1 = ((IntVector) ShortVector.fromMemorySegment(S, w, off1 + piece + step, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(MASK).reinterpretAsFloats();
            a0 = wa0.fma(v0, a0);
            b0 = wb0.fma(v0, b0);
            a1 = wa1.fma(v1, a1);
            b1 = wb1.fma(v1, b1);
        }
        for (int bound = k - LANES; c <= bound; c += LANES, piece += step) {
            FloatVector v0 = FloatVector.fromArray(F, x, xo + c);
            FloatVector wa0 = ((IntVector) ShortVector.fromMemorySegment(S, w, off + piece, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(MASK).reinterpretAsFloats();
            FloatVector wb0 = ((IntVector) ShortVector.fromMemorySegment(S, w, off1 + piece, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(MASK).reinterpretAsFloats();
            a0 = wa0.fma(v0, a0);
            b0 = wb0.fma(v0, b0);
        }
        float sa = a0.add(a1).reduceLanes(VectorOperators.ADD), sb = b0.add(b1).reduceLanes(VectorOperators.ADD);
        for (; c < k; c++) {
            sa += tail(w, off, step, c) * x[xo + c];
            sb += tail(w, off1, step, c) * x[xo + c];
        }
        out[o] = sa;
        out[o + 1] = sb;
    }

    /** The same for four x rows at once, results in {@code out[0..3]}. */
    static void dot4(MemorySegment w, long off, long step, int k, float[] x, int x0, int x1, int x2, int x3, float[] out) {
        // two weight vectors a step, eight FMA chains: with four, each step waited on the FMA latency
        // (a throwaway probe, one core, 8192x2048 from DRAM: 3.64-3.79 ms against 3.87-4.14)
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int c = 0;
        long o = off;
        for (int bound = k - 2 * LANES; c <= bound; c += 2 * LANES, o += 2 * step) {
            FloatVector wv = ((IntVector) ShortVector.fromMemorySegment(S, w, o, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(MASK)
                    .reinterpretAsFloats();
            FloatVector wu = ((IntVector) ShortVector.fromMemorySegment(S, w, o + step, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(MASK)
                    .reinterpretAsFloats();
            a0 = wv.fma(FloatVector.fromArray(F, x, x0 + c), a0);
            a1 = wv.fma(FloatVector.fromArray(F, x, x1 + c), a1);
            a2 = wv.fma(FloatVector.fromArray(F, x, x2 + c), a2);
            a3 = wv.fma(FloatVector.fromArray(F, x, x3 + c), a3);
            b0 = wu.fma(FloatVector.fromArray(F, x, x0 + c + LANES), b0);
            b1 = wu.fma(FloatVector.fromArray(F, x, x1 + c + LANES), b1);
            b2 = wu.fma(FloatVector.fromArray(F, x, x2 + c + LANES), b2);
            b3 = wu.fma(FloatVector.fromArray(F, x, x3 + c + LANES), b3);
        }
        for (int bound = k - LANES; c <= bound; c += LANES, o += step) {
            FloatVector wv = ((IntVector) ShortVector.fromMemorySegment(S, w, o, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(MASK)
                    .reinterpretAsFloats();
            a0 = wv.fma(FloatVector.fromArray(F, x, x0 + c), a0);
            a1 = wv.fma(FloatVector.fromArray(F, x, x1 + c), a1);
            a2 = wv.fma(FloatVector.fromArray(F, x, x2 + c), a2);
            a3 = wv.fma(FloatVector.fromArray(F, x, x3 + c), a3);
        }
        a0 = a0.add(b0);
        a1 = a1.add(b1);
        a2 = a2.add(b2);
        a3 = a3.add(b3);
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; c < k; c++) {
            float v = tail(w, off, step, c);
            s0 += v * x[x0 + c];
            s1 += v * x[x1 + c];
            s2 += v * x[x2 + c];
            s3 += v * x[x3 + c];
        }
        out[0] = s0;
        out[1] = s1;
        out[2] = s2;
        out[3] = s3;
    }

    /**
     * Two rows, their pieces from {@code off} and {@code off1}, with four x rows: each x vector is
     * loaded once for both rows and each weight vector once for the four x rows, eight FMAs in eight
     * accumulators per piece; {@code out[4 * j + i]} = row j · x row i. A tile of four rows
     * (16 accumulators) was slower: C2 kept half of them on the stack. One core, 256 × 512 from L2:
     * 4.2-4.6 FMAs per ns against 2.2 for two {@link #dot4}s and 2.4 for the four-row tile.
     */
    static void dot2x4(MemorySegment w, long off, long off1, long step, int k, float[] x, int x0, int x1, int x2,
                       int x3, float[] out) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int c = 0;
        long piece = 0;
        for (int bound = k - LANES; c <= bound; c += LANES, piece += step) {
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + c), v1 = FloatVector.fromArray(F, x, x1 + c);
            FloatVector v2 = FloatVector.fromArray(F, x, x2 + c), v3 = FloatVector.fromArray(F, x, x3 + c);
            FloatVector wa = ((IntVector) ShortVector.fromMemorySegment(S, w, off + piece, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(MASK).reinterpretAsFloats();
            FloatVector wb = ((IntVector) ShortVector.fromMemorySegment(S, w, off1 + piece, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(MASK).reinterpretAsFloats();
            a0 = wa.fma(v0, a0);
            a1 = wa.fma(v1, a1);
            a2 = wa.fma(v2, a2);
            a3 = wa.fma(v3, a3);
            b0 = wb.fma(v0, b0);
            b1 = wb.fma(v1, b1);
            b2 = wb.fma(v2, b2);
            b3 = wb.fma(v3, b3);
        }
        out[0] = a0.reduceLanes(VectorOperators.ADD);
        out[1] = a1.reduceLanes(VectorOperators.ADD);
        out[2] = a2.reduceLanes(VectorOperators.ADD);
        out[3] = a3.reduceLanes(VectorOperators.ADD);
        out[4] = b0.reduceLanes(VectorOperators.ADD);
        out[5] = b1.reduceLanes(VectorOperators.ADD);
        out[6] = b2.reduceLanes(VectorOperators.ADD);
        out[7] = b3.reduceLanes(VectorOperators.ADD);
        for (; c < k; c++) {
            for (int j = 0; j < 2; j++) {
                float v = tail(w, j == 0 ? off : off1, step, c);
                out[4 * j] += v * x[x0 + c];
                out[4 * j + 1] += v * x[x1 + c];
                out[4 * j + 2] += v * x[x2 + c];
                out[4 * j + 3] += v * x[x3 + c];
            }
        }
    }

    /** Weight c of a row whose pieces start at {@code off}, {@code step} bytes apart, times 2^-112 as the vector loops decode it. */
    private static float tail(MemorySegment w, long off, long step, int c) {
        return Dequantize.f16(w, off + c / LANES * step + 2L * (c % LANES)) * DECODED_SCALE;
    }
}
