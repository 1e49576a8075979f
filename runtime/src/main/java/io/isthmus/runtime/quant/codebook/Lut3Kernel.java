package io.isthmus.runtime.quant.codebook;

import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.I;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * lut3 rows ({@link CodePacking#THREE_BIT}): a group's 12 bytes are loaded once; one byte shuffle
 * gives each int lane the two bytes holding column i's code (low half) and the two bytes 6 further
 * on holding column i + 16's (high half), one variable shift brings both codes to the bottom of
 * their halves, and each half indexes the row's 8-entry table by a lane permute. The bits above a
 * code are never masked: lane indices wrap, and where a vector has more lanes than the table
 * (512 bits) the table is repeated to fill it.
 */
final class Lut3Kernel extends LutKernel {

    private static final int GROUP = CodePacking.GROUP;
    private static final int GROUP_BYTES = 12;
    /** The bytes a group load reads: its 12 and 4 of whatever follows. */
    private static final int LOAD_BYTES = 16;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    /** Bytes filling an int vector, the shape of the shuffled windows. */
    private static final VectorSpecies<Byte> BW = I.withLanes(byte.class);
    /** Shuffles per group: each yields LANES columns of each half. */
    private static final int WINDOWS = 16 / LANES;
    /** Int vectors holding the 8-entry table (2 at 128 bits). */
    private static final int TABLES = Math.max(1, 8 / LANES);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Byte>[] WINDOW = new VectorShuffle[WINDOWS];
    private static final IntVector[] SHIFT = new IntVector[WINDOWS];
    /** Repeats the first 8 lanes over a wider vector. */
    private static final VectorShuffle<Integer> REPEAT8 = VectorShuffle.fromOp(I, l -> l & 7);

    static {
        for (int u = 0; u < WINDOWS; u++) {
            int[] bytes = new int[BW.length()];
            int[] shifts = new int[LANES];
            for (int l = 0; l < LANES; l++) {
                int i = u * LANES + l; // the column of the low half; the high half's is i + 16
                int at = 3 * i >>> 3;
                bytes[4 * l] = at;
                bytes[4 * l + 1] = at + 1;
                bytes[4 * l + 2] = at + 6;
                bytes[4 * l + 3] = at + 7;
                shifts[l] = 3 * i & 7;
            }
            WINDOW[u] = VectorShuffle.fromArray(BW, bytes, 0);
            SHIFT[u] = IntVector.fromArray(I, shifts, 0);
        }
    }

    Lut3Kernel() {
        super(CodePacking.THREE_BIT);
    }

    /** Full groups whose 16-byte load stays inside the segment; the rest go through the scalar path. */
    private static int vectorGroups(MemorySegment codes, long off, int full) {
        long room = codes.byteSize() - off - LOAD_BYTES;
        return room < 0 ? 0 : (int) Math.min(full, room / GROUP_BYTES + 1);
    }

    @Override
    float dot1(MemorySegment codes, long off, MemorySegment lut, long lutOff, int k, float[] x, int xo) {
        IntVector t0 = LANES > 8 ? IntVector.fromMemorySegment(I, lut, lutOff, LE, I.indexInRange(0, 8)).rearrange(REPEAT8)
                : IntVector.fromMemorySegment(I, lut, lutOff, LE);
        IntVector t1 = TABLES > 1 ? IntVector.fromMemorySegment(I, lut, lutOff + 4L * LANES, LE) : t0;
        int groups = vectorGroups(codes, off, k / GROUP);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int g = 0; g < groups; g++) {
            ByteVector bytes = (ByteVector) ByteVector.fromMemorySegment(B16, codes, off + (long) g * GROUP_BYTES, LE)
                    .reinterpretShape(BW, 0);
            int xc = xo + g * GROUP;
            for (int u = 0; u < WINDOWS; u++) { // constant trip count: fully unrolled
                IntVector lo = bytes.rearrange(WINDOW[u]).reinterpretAsInts().lanewise(VectorOperators.LSHR, SHIFT[u]);
                IntVector hi = lo.lanewise(VectorOperators.LSHR, 16);
                IntVector wl = TABLES == 1 ? lo.selectFrom(t0) : lo.selectFrom(t0, t1);
                IntVector wh = TABLES == 1 ? hi.selectFrom(t0) : hi.selectFrom(t0, t1);
                int c = xc + u * LANES;
                a0 = wl.reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c), a0);
                a1 = wh.reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c + 16), a1);
            }
            // four accumulators, rotated every group, so consecutive FMAs do not wait on each other
            FloatVector t = a0;
            a0 = a2;
            a2 = t;
            t = a1;
            a1 = a3;
            a3 = t;
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD)
                + scalarDot(codes, off, lut, lutOff, groups * GROUP, k, x, xo);
    }

    @Override
    void dot4(MemorySegment codes, long off, MemorySegment lut, long lutOff, int k,
              float[] x, int x0, int x1, int x2, int x3, float[] out) {
        IntVector t0 = LANES > 8 ? IntVector.fromMemorySegment(I, lut, lutOff, LE, I.indexInRange(0, 8)).rearrange(REPEAT8)
                : IntVector.fromMemorySegment(I, lut, lutOff, LE);
        IntVector t1 = TABLES > 1 ? IntVector.fromMemorySegment(I, lut, lutOff + 4L * LANES, LE) : t0;
        int groups = vectorGroups(codes, off, k / GROUP);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int g = 0; g < groups; g++) {
            ByteVector bytes = (ByteVector) ByteVector.fromMemorySegment(B16, codes, off + (long) g * GROUP_BYTES, LE)
                    .reinterpretShape(BW, 0);
            for (int u = 0; u < WINDOWS; u++) {
                IntVector lo = bytes.rearrange(WINDOW[u]).reinterpretAsInts().lanewise(VectorOperators.LSHR, SHIFT[u]);
                IntVector hi = lo.lanewise(VectorOperators.LSHR, 16);
                FloatVector wl = (TABLES == 1 ? lo.selectFrom(t0) : lo.selectFrom(t0, t1)).reinterpretAsFloats();
                FloatVector wh = (TABLES == 1 ? hi.selectFrom(t0) : hi.selectFrom(t0, t1)).reinterpretAsFloats();
                int c = g * GROUP + u * LANES;
                a0 = wl.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                a1 = wl.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                a2 = wl.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                a3 = wl.fma(FloatVector.fromArray(F, x, x3 + c), a3);
                b0 = wh.fma(FloatVector.fromArray(F, x, x0 + c + 16), b0);
                b1 = wh.fma(FloatVector.fromArray(F, x, x1 + c + 16), b1);
                b2 = wh.fma(FloatVector.fromArray(F, x, x2 + c + 16), b2);
                b3 = wh.fma(FloatVector.fromArray(F, x, x3 + c + 16), b3);
            }
        }
        int from = groups * GROUP;
        out[0] = a0.add(b0).reduceLanes(VectorOperators.ADD) + scalarDot(codes, off, lut, lutOff, from, k, x, x0);
        out[1] = a1.add(b1).reduceLanes(VectorOperators.ADD) + scalarDot(codes, off, lut, lutOff, from, k, x, x1);
        out[2] = a2.add(b2).reduceLanes(VectorOperators.ADD) + scalarDot(codes, off, lut, lutOff, from, k, x, x2);
        out[3] = a3.add(b3).reduceLanes(VectorOperators.ADD) + scalarDot(codes, off, lut, lutOff, from, k, x, x3);
    }
}
