package io.isthmus.runtime.kernel;

import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.I;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHR;

import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.function.IntBinaryOperator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * 4-bit codes in groups of G columns (32, 64 or 128) that are linear in the code: a scale per row
 * and group, and either a fixed offset (GGUF Q4_0: {@code w = (q − 8)·d}) or a minimum per row
 * and group (int4: {@code w = q·scale + min}; GGUF Q4_K: {@code w = d·sc·q − dmin·m}, the same form).
 * Held so that a vector lane carries one group:
 *
 * <ul>
 * <li>Rows go one after another, each one stream.</li>
 * <li>A row's groups go in chunks of {@code LANES}; a chunk is G/8 vectors per row, whose lane j holds,
 *     in one 32-bit word, 8 codes of the chunk's group j (nibble n of vector v: column
 *     {@code G·j + 8v + n}). A last chunk of fewer groups is as many lanes wide.</li>
 * <li>Scales (and minimums) are row-major, apart from the codes, in the format's own compact form
 *     ({@link LaneScales}: f16 per group, or Q4_K's 6-bit values under a d and dmin per super-block), decoded
 *     into floats a row at a time.</li>
 * </ul>
 *
 * A GEMV then decodes each code with one AND: five of a word's eight nibbles are masked in place, the
 * other three after one shift, and each masked lane is a float ({@link NibbleLevels}) whose power of
 * two is folded into a rewritten x (each code position multiplies its own copy of x, scaled). The
 * products of a chunk's groups sum in their own lanes, so a group's scale applies with one FMA per
 * chunk, not one per group, and the offset or the minimums with a precomputed per-group sum of x.
 * Per code that leaves an AND and an FMA: on this project's Zen 5 VM, Q4_0 from L2 on one core went
 * from 28 to 42 GB/s against {@link RowGroupMatrix}'s grouped blocks (a throwaway probe).
 *
 * <p>A GEMV takes a row at a time ({@link #row}), with an accumulator per code position. A form that
 * took four rows at a time, sharing each slice of x, ran no faster on the AMX machine (512 bits, 32
 * registers) and stalled there: its method was so large that C2 delayed some of the Vector API's
 * inlining, failed the intrinsic of one AND when it came back to it, and left a call that boxes
 * vectors in the loop (0.2 GB/s instead of 60; 2 of 4 JVMs timing q4_0, int4-g128, q4_0, int4-g64,
 * against none of 4 a row at a time, examples/bench/results/kernels-4bit-amx-16cpu/stop34). Below 512
 * bits, where x86 has 16 vector registers, four rows spilled, and one was 2× faster.
 *
 * <p>Products of several x rows (prefill) decode a row at a time into floats and take dot products.
 */
public final class Int4LaneMatrix implements WeightMatrix {

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfInt WORD = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final boolean SUB = NibbleLevels.SUBNORMAL;
    /** Bytes of one row's vector of codes: a word per lane. */
    private static final int ROW_VECTOR = 4 * LANES;
    /**
     * The masks of code positions 0..4, LANES ints each. Read from an array rather than made as
     * constants, which C2 broadcasts again at every use: with them in registers the probe above went
     * from 33 to 42 GB/s.
     */
    private static final int[] MASKS = masks();

    /** Where {@link #pack} takes a matrix's codes, scales and minimums from. */
    public interface Source {
        /** The code (0..15) of row {@code row}, column {@code col}. */
        int code(int row, int col);

        /** The f16 bits of the scale of row {@code row}, group {@code group}. */
        short scale(int row, int group);

        /** The f16 bits of the minimum of row {@code row}, group {@code group} (only asked for with minimums). */
        short min(int row, int group);
    }

    private final String name;
    private final String format;
    private final int rows;
    private final int cols;
    private final int group;
    private final float offset;
    private final long formatBytes;
    private final int groups;  // per row
    private final int chunks;  // full chunks per row
    private final int tail;    // groups in the last, partial chunk (0: none)
    private final int vectors; // per chunk and row: G / 8
    private final MemorySegment codes;
    private final LaneScales scales;
    private final boolean withMins; // whether the scales have minimums; else the fixed offset
    // the same scales for the kernels, which decode them with static or final-class calls, not
    // through the interface: no class check in their compiled code depends on which kinds were seen
    private final MemorySegment halfScales;        // f16 scales, or null
    private final MemorySegment halfMins;          // f16 minimums, or null
    private final SuperBlockLaneScales superScales; // Q4_K's, or null

    private Int4LaneMatrix(String name, String format, int rows, int cols, int group, float offset, long formatBytes,
                           MemorySegment codes, LaneScales scales) {
        if (group != 32 && group != 64 && group != 128) {
            throw new IllegalArgumentException(name + ": 4-bit lane groups are 32, 64 or 128 columns, not " + group);
        }
        this.name = Objects.requireNonNull(name);
        this.format = Objects.requireNonNull(format);
        this.rows = rows;
        this.cols = cols;
        this.group = group;
        this.offset = offset;
        this.formatBytes = formatBytes;
        this.groups = Math.ceilDiv(cols, group);
        this.chunks = groups / LANES;
        this.tail = groups % LANES;
        this.vectors = group / 8;
        this.codes = codes;
        this.scales = scales;
        this.withMins = scales.hasMins();
        this.halfScales = scales instanceof HalfLaneScales h ? h.scaleSegment() : null;
        this.halfMins = scales instanceof HalfLaneScales h ? h.minSegment() : null;
        this.superScales = scales instanceof SuperBlockLaneScales k ? k : null;
    }

    /**
     * A matrix of {@code rows × cols} codes from {@code source}, with minimums or, when
     * {@code withMins} is false, the fixed {@code offset} added to every code before scaling.
     * {@code formatBytes} is the size of the format's own encoding.
     */
    public static Int4LaneMatrix pack(String name, String format, int rows, int cols, int group, float offset,
                                      boolean withMins, long formatBytes, Source source, Arena arena) {
        int groups = Math.ceilDiv(cols, group);
        HalfLaneScales scales = HalfLaneScales.allocate(rows, groups, withMins, arena);
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < groups; g++) {
                scales.set(r, g, source.scale(r, g), withMins ? source.min(r, g) : 0);
            }
        }
        return withCodes(name, format, rows, cols, group, withMins ? 0 : offset, formatBytes, source::code, scales, arena);
    }

    /** Codes of row r, column c: {@code code.applyAsInt(r, c)}. */
    private static Int4LaneMatrix withCodes(String name, String format, int rows, int cols, int group, float offset,
                                            long formatBytes, IntBinaryOperator code, LaneScales scales, Arena arena) {
        int groups = Math.ceilDiv(cols, group);
        Int4LaneMatrix m = new Int4LaneMatrix(name, format, rows, cols, group, offset, formatBytes,
                arena.allocate((long) rows * groups * group / 2, 64), scales);
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < groups; g++) {
                for (int v = 0; v < m.vectors; v++) {
                    int word = 0;
                    for (int n = 0, c = g * group + 8 * v; n < 8 && c < cols; n++, c++) {
                        int q = code.applyAsInt(r, c);
                        if ((q & ~15) != 0) {
                            throw new IllegalArgumentException(name + ": code " + q + " at (" + r + ", " + c + ") is not 4-bit");
                        }
                        word |= q << 4 * n;
                    }
                    m.codes.set(WORD, m.wordAt(r, g, v), word);
                }
            }
        }
        return m;
    }

    /** A GGUF Q4_0 matrix, copied out of its blocks. */
    public static Int4LaneMatrix ofQ4_0(Tensor t, Arena arena) {
        if (t.type() != GgmlType.Q4_0 || t.shape().length != 2) {
            throw new IllegalArgumentException("not a Q4_0 matrix: " + t);
        }
        MemorySegment data = t.data();
        long rowBytes = t.rowBytes();
        int blockBytes = GgmlType.Q4_0.blockBytes();
        return pack(t.name(), "q4_0", t.rows(), t.cols(), 32, -8, false, rowBytes * t.rows(), new Source() {
            @Override
            public int code(int row, int col) {
                int j = col % 32;
                int b = data.get(ValueLayout.JAVA_BYTE, row * rowBytes + (long) (col / 32) * blockBytes + 2 + j % 16) & 0xFF;
                return j < 16 ? b & 15 : b >>> 4;
            }

            @Override
            public short scale(int row, int g) {
                return data.get(HALF, row * rowBytes + (long) g * blockBytes);
            }

            @Override
            public short min(int row, int g) {
                throw new UnsupportedOperationException("Q4_0 has no minimums");
            }
        }, arena);
    }

    /**
     * A GGUF Q4_K matrix, copied out of its super-blocks: groups of 32 whose {@code w = d·sc·q − dmin·m}
     * is {@code q·scale + min} with the scales of {@link SuperBlockLaneScales}.
     */
    public static Int4LaneMatrix ofQ4_K(Tensor t, Arena arena) {
        if (t.type() != GgmlType.Q4_K || t.shape().length != 2) {
            throw new IllegalArgumentException("not a Q4_K matrix: " + t);
        }
        MemorySegment data = t.data();
        long rowBytes = t.rowBytes();
        int blockBytes = GgmlType.Q4_K.blockBytes(), rows = t.rows(), cols = t.cols(), supers = Math.ceilDiv(cols, 256);
        SuperBlockLaneScales scales = SuperBlockLaneScales.allocate(rows, Math.ceilDiv(cols, 32), arena);
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < supers; b++) {
                long at = r * rowBytes + (long) b * blockBytes;
                scales.setSuper(r, b, data.get(HALF, at), data.get(HALF, at + 2));
                for (int j = 0; j < 8; j++) {
                    scales.setGroup(r, 8 * b + j, Dequantize.scaleK4(data, at + 4, j), Dequantize.minK4(data, at + 4, j));
                }
            }
        }
        // a super-block's 128 bytes of codes: 32 per 64 columns, low nibbles the first 32, high nibbles the next
        IntBinaryOperator code = (row, col) -> {
            int within = col % 256;
            int b = data.get(ValueLayout.JAVA_BYTE, row * rowBytes + (long) (col / 256) * blockBytes + 16
                    + 32 * (within / 64) + within % 32) & 0xFF;
            return within % 64 < 32 ? b & 15 : b >>> 4;
        };
        return withCodes(t.name(), "q4_k", rows, cols, 32, 0, rowBytes * rows, code, scales, arena);
    }

    private static int[] masks() {
        int[] m = new int[NibbleLevels.POSITIONS * LANES];
        for (int p = 0; p < NibbleLevels.POSITIONS; p++) {
            java.util.Arrays.fill(m, p * LANES, (p + 1) * LANES, 15 << 4 * p);
        }
        return m;
    }

    /** Bytes of a row's codes. */
    private long rowBytes() {
        return (long) groups * group / 2;
    }

    /** Bytes of a row's full chunk. */
    private int chunkBytes() {
        return vectors * ROW_VECTOR;
    }

    /** Byte offset of the word holding vector v of row r's group g. */
    private long wordAt(int row, int g, int v) {
        long at = row * rowBytes();
        int chunk = g / LANES, lane = g % LANES;
        if (chunk < chunks) {
            return at + (long) chunk * chunkBytes() + (long) v * ROW_VECTOR + 4L * lane;
        }
        return at + (long) chunks * chunkBytes() + 4L * ((long) v * tail + lane);
    }

    private int code(int row, int col) {
        int g = col / group, within = col % group;
        return codes.get(WORD, wordAt(row, g, within / 8)) >>> 4 * (within % 8) & 15;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public String format() {
        return format;
    }

    @Override
    public long byteSize() {
        return rows * (rowBytes() + scales.rowBytes());
    }

    @Override
    public long formatBytes() {
        return formatBytes;
    }

    @Override
    public int columnGrain() {
        return group * scales.groupGrain();
    }

    @Override
    public void matmul(float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
        product(x, xOff, m, y, yOff).rows(rowFrom, rowTo);
    }

    @Override
    public RowProduct product(float[] x, int xOff, int m, float[] y, int yOff) {
        Objects.checkFromIndexSize(xOff, Math.multiplyExact(m, cols), x.length);
        if (m != 1) {
            return (rowFrom, rowTo) -> decodedProduct(x, xOff, m, y, yOff, rowFrom, rowTo);
        }
        LaneX lx = new LaneX(x, xOff);
        return (rowFrom, rowTo) -> {
            Objects.checkFromToIndex(rowFrom, rowTo, rows);
            float[] scratch = new float[(withMins ? 2 : 1) * scratchGroups()];
            for (int r = rowFrom; r < rowTo; r++) {
                y[yOff + r] = row(r, lx, scratch);
            }
        };
    }

    /**
     * Floats of a row's decoded scales (or minimums) in a GEMV's scratch: whole chunks, and whole
     * super-blocks of {@link SuperBlockLaneScales}, which decode eight at a time.
     */
    private int scratchGroups() {
        int unit = Math.max(LANES, SuperBlockLaneScales.SUPER);
        return Math.ceilDiv(groups, unit) * unit;
    }

    /** Row {@code row}'s group scales into {@code out[scalesAt..]}, its minimums (if any) into {@code out[minsAt..]}. */
    private void decodeScales(int row, float[] out, int scalesAt, int minsAt) {
        if (superScales != null) {
            superScales.decodeRow(row, out, scalesAt, minsAt);
            return;
        }
        F16Kernel.decode(halfScales, 2L * row * groups, groups, out, scalesAt);
        if (halfMins != null) {
            F16Kernel.decode(halfMins, 2L * row * groups, groups, out, minsAt);
        }
    }

    /** Groups per row rounded up to whole chunks. */
    private int paddedGroups() {
        return Math.ceilDiv(groups, LANES) * LANES;
    }

    /** Floats of the rewritten x per chunk: 8 slices per vector, then the offset sums and the plain sums. */
    private int chunkFloats() {
        return (8 * vectors + 2) * LANES;
    }

    /**
     * x rewritten for {@link #row}: per chunk, per vector v and nibble n, lane j holds
     * {@code x[G·j + 8v + n]·2^xExponent(position of n, t)} (zero past the row's end); then per group
     * {@code offset·Σx·2^(−t)} and {@code Σx·2^(−t)}. Every product comes out times 2^(−t), undone once per row.
     */
    private final class LaneX {
        final float[] a;
        final int o;
        /** 2^t, in double: t reaches 151 for x near Float.MAX_VALUE. */
        final double unscale;

        LaneX(float[] x, int xOff) {
            FloatVector max = FloatVector.zero(F);
            int c = 0;
            for (int bound = F.loopBound(cols); c < bound; c += LANES) {
                max = max.max(FloatVector.fromArray(F, x, xOff + c).abs());
            }
            float maxAbs = max.reduceLanes(VectorOperators.MAX);
            for (; c < cols; c++) {
                maxAbs = Math.max(maxAbs, Math.abs(x[xOff + c]));
            }
            int t = NibbleLevels.headroom(maxAbs);
            unscale = Math.scalb(1.0, t);
            // x times a power of two up to 2^±150, as two exact float multiplies (one could overflow)
            float[] half1 = new float[8], half2 = new float[8];
            for (int n = 0; n < 8; n++) {
                int e = NibbleLevels.xExponent(n < 5 ? n : n - 5, t);
                half1[n] = Math.scalb(1f, e / 2);
                half2[n] = Math.scalb(1f, e - e / 2);
            }
            float shrink1 = Math.scalb(1f, -t / 2), shrink2 = Math.scalb(1f, -t - -t / 2);
            AlignedFloats.Span span = AlignedFloats.allocate(paddedGroups() / LANES * chunkFloats());
            a = span.array();
            o = span.offset();
            int chunkFloats = chunkFloats();
            // whole chunks: slice i of a chunk is a gather of column i of its LANES groups, group apart
            int[] groupStarts = new int[LANES];
            for (int j = 0; j < LANES; j++) {
                groupStarts[j] = j * group;
            }
            int whole = cols / group / LANES; // chunks whose groups are all whole
            for (int ch = 0; ch < whole; ch++) {
                int base = o + ch * chunkFloats, c0 = xOff + ch * LANES * group;
                FloatVector sums = FloatVector.zero(F);
                for (int i = 0; i < group; i++) {
                    FloatVector xv = FloatVector.fromArray(F, x, c0 + i, groupStarts, 0);
                    sums = sums.add(xv.mul(shrink1).mul(shrink2)); // scaled first: no overflow near Float.MAX_VALUE
                    xv.mul(half1[i & 7]).mul(half2[i & 7]).intoArray(a, base + i * LANES);
                }
                sums.mul(offset).intoArray(a, base + 8 * vectors * LANES);
                sums.intoArray(a, base + (8 * vectors + 1) * LANES);
            }
            for (int g = whole * LANES; g < groups; g++) { // the rest, a group at a time
                int base = o + g / LANES * chunkFloats + g % LANES;
                int from = g * group, to = Math.min(cols, from + group);
                float sum = 0;
                for (int col = from; col < to; col++) {
                    int i = col - from;
                    float xv = x[xOff + col];
                    sum += xv * shrink1 * shrink2;
                    a[base + i * LANES] = xv * half1[i & 7] * half2[i & 7];
                }
                a[base + 8 * vectors * LANES] = offset * sum;
                a[base + (8 * vectors + 1) * LANES] = sum;
            }
        }
    }

    /**
     * Row {@code row} times the x that {@code lx} rewrote, with an accumulator per code position (8
     * independent FMA chains). It is one loop
     * over the row's vectors that closes a chunk every {@code vectors} steps, not a loop per chunk: C2
     * sets up each loop it enters (range checks, a first iteration apart), which with Q4_0's four
     * vectors a chunk cost a third of the time. Q4_0 on this project's Zen 3 VM went from 6.6-9.4 to
     * 11.7-13.4 GB/s (2 threads, from DRAM), int4-g128 from 12.8-15.0 to 13.1-16.3.
     */
    private float row(int row, LaneX lx, float[] scratch) {
        int pg = scratchGroups();
        decodeScales(row, scratch, 0, pg);
        float[] p = lx.a;
        IntVector m0 = IntVector.fromArray(I, MASKS, 0), m1 = IntVector.fromArray(I, MASKS, LANES),
                m2 = IntVector.fromArray(I, MASKS, 2 * LANES), m3 = IntVector.fromArray(I, MASKS, 3 * LANES),
                m4 = IntVector.fromArray(I, MASKS, 4 * LANES);
        long base = row * rowBytes();
        int chunkBytes = chunkBytes(), chunkFloats = chunkFloats(), vectorBytes = ROW_VECTOR;
        FloatVector acc = FloatVector.zero(F), c0 = acc, c1 = acc, c2 = acc, c3 = acc, c4 = acc, c5 = acc, c6 = acc, c7 = acc;
        int xo = lx.o, v = 0, s = 0;
        for (int k = 0, total = chunks * vectors; k < total; k++, xo += 8 * LANES) {
            IntVector w = IntVector.fromMemorySegment(I, codes, base + (long) k * vectorBytes, LE);
            c0 = (SUB ? w.and(m0).reinterpretAsFloats() : (FloatVector) w.and(m0).convert(I2F, 0)).fma(FloatVector.fromArray(F, p, xo), c0);
            c1 = (SUB ? w.and(m1).reinterpretAsFloats() : (FloatVector) w.and(m1).convert(I2F, 0)).fma(FloatVector.fromArray(F, p, xo + LANES), c1);
            c2 = (SUB ? w.and(m2).reinterpretAsFloats() : (FloatVector) w.and(m2).convert(I2F, 0)).fma(FloatVector.fromArray(F, p, xo + 2 * LANES), c2);
            c3 = (SUB ? w.and(m3).reinterpretAsFloats() : (FloatVector) w.and(m3).convert(I2F, 0)).fma(FloatVector.fromArray(F, p, xo + 3 * LANES), c3);
            c4 = (SUB ? w.and(m4).reinterpretAsFloats() : (FloatVector) w.and(m4).convert(I2F, 0)).fma(FloatVector.fromArray(F, p, xo + 4 * LANES), c4);
            IntVector u = w.lanewise(LSHR, 20);
            c5 = (SUB ? u.and(m0).reinterpretAsFloats() : (FloatVector) u.and(m0).convert(I2F, 0)).fma(FloatVector.fromArray(F, p, xo + 5 * LANES), c5);
            c6 = (SUB ? u.and(m1).reinterpretAsFloats() : (FloatVector) u.and(m1).convert(I2F, 0)).fma(FloatVector.fromArray(F, p, xo + 6 * LANES), c6);
            c7 = (SUB ? u.and(m2).reinterpretAsFloats() : (FloatVector) u.and(m2).convert(I2F, 0)).fma(FloatVector.fromArray(F, p, xo + 7 * LANES), c7);
            if (++v == vectors) { // the chunk's last vector: its sums times the scales of its groups
                int sc = s * LANES;
                FloatVector offsetSums = FloatVector.fromArray(F, p, xo + 8 * LANES); // they follow the last vector's x
                acc = c0.add(c1).add(c2.add(c3)).add(c4.add(c5).add(c6.add(c7))).add(offsetSums).fma(FloatVector.fromArray(F, scratch, sc), acc);
                if (withMins) {
                    acc = FloatVector.fromArray(F, scratch, pg + sc).fma(FloatVector.fromArray(F, p, xo + 9 * LANES), acc);
                }
                xo += 2 * LANES; // past the two sums
                v = 0;
                s++;
                c0 = FloatVector.zero(F);
                c1 = c0;
                c2 = c0;
                c3 = c0;
                c4 = c0;
                c5 = c0;
                c6 = c0;
                c7 = c0;
            }
        }
        float sum = acc.reduceLanes(ADD);
        if (tail > 0) {
            sum += tailRow(base + (long) chunks * chunkBytes, lx.a, lx.o + chunks * chunkFloats, scratch, 0, pg);
        }
        return (float) (sum * lx.unscale);
    }

    /**
     * A row's last, partial chunk, at {@code at}: the same sums, with loads of
     * {@code tail} lanes; its scales start at {@code scratch[scalesAt]}, its minimums at {@code minsAt}.
     * A vector's eight products are summed as a tree before they join the row's sum, so the chain from
     * one vector to the next is one add: with one FMA chain through all eight, as before, a row of 4480
     * columns (4 chunks and 3 groups of 128) ran at half the speed of one of 4096.
     */
    private float tailRow(long at, float[] p, int xb, float[] scratch, int scalesAt, int minsAt) {
        VectorMask<Integer> lanes = I.indexInRange(0, tail);
        IntVector m0 = IntVector.fromArray(I, MASKS, 0), m1 = IntVector.fromArray(I, MASKS, LANES),
                m2 = IntVector.fromArray(I, MASKS, 2 * LANES), m3 = IntVector.fromArray(I, MASKS, 3 * LANES),
                m4 = IntVector.fromArray(I, MASKS, 4 * LANES);
        int sc = chunks * LANES;
        FloatVector acc = FloatVector.fromArray(F, p, xb + 8 * vectors * LANES);
        for (int v = 0; v < vectors; v++) {
            IntVector w = IntVector.fromMemorySegment(I, codes, at + 4L * v * tail, LE, lanes);
            IntVector u = w.lanewise(LSHR, 20);
            int xo = xb + 8 * v * LANES;
            // written out, not through a helper: C2 stops inlining a helper once the method is big, and
            // a call that takes vectors boxes them (a row of 4480 columns then ran at 0.25-4.4 GB/s, not 7.6)
            FloatVector e0 = (SUB ? w.and(m0).reinterpretAsFloats() : (FloatVector) w.and(m0).convert(I2F, 0)).mul(FloatVector.fromArray(F, p, xo));
            FloatVector e1 = (SUB ? w.and(m1).reinterpretAsFloats() : (FloatVector) w.and(m1).convert(I2F, 0)).mul(FloatVector.fromArray(F, p, xo + LANES));
            FloatVector e2 = (SUB ? w.and(m2).reinterpretAsFloats() : (FloatVector) w.and(m2).convert(I2F, 0)).mul(FloatVector.fromArray(F, p, xo + 2 * LANES));
            FloatVector e3 = (SUB ? w.and(m3).reinterpretAsFloats() : (FloatVector) w.and(m3).convert(I2F, 0)).mul(FloatVector.fromArray(F, p, xo + 3 * LANES));
            FloatVector e4 = (SUB ? w.and(m4).reinterpretAsFloats() : (FloatVector) w.and(m4).convert(I2F, 0)).mul(FloatVector.fromArray(F, p, xo + 4 * LANES));
            FloatVector e5 = (SUB ? u.and(m0).reinterpretAsFloats() : (FloatVector) u.and(m0).convert(I2F, 0)).mul(FloatVector.fromArray(F, p, xo + 5 * LANES));
            FloatVector e6 = (SUB ? u.and(m1).reinterpretAsFloats() : (FloatVector) u.and(m1).convert(I2F, 0)).mul(FloatVector.fromArray(F, p, xo + 6 * LANES));
            FloatVector e7 = (SUB ? u.and(m2).reinterpretAsFloats() : (FloatVector) u.and(m2).convert(I2F, 0)).mul(FloatVector.fromArray(F, p, xo + 7 * LANES));
            acc = acc.add(e0.add(e1).add(e2.add(e3)).add(e4.add(e5).add(e6.add(e7))));
        }
        FloatVector sum = acc.mul(FloatVector.fromArray(F, scratch, scalesAt + sc));
        if (withMins) {
            sum = FloatVector.fromArray(F, scratch, minsAt + sc).fma(FloatVector.fromArray(F, p, xb + (8 * vectors + 1) * LANES), sum);
        }
        return sum.reduceLanes(ADD);
    }

    /** Several x rows: each weight row decoded once into floats, then a dot product per x row. */
    private void decodedProduct(float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
        Objects.checkFromToIndex(rowFrom, rowTo, rows);
        float[] w = new float[cols];
        for (int row = rowFrom; row < rowTo; row++) {
            dequantizeRow(row, w, 0);
            for (int i = 0; i < m; i++) {
                y[yOff + i * rows + row] = Ops.dot(w, 0, x, xOff + i * cols, cols);
            }
        }
    }

    /** {@code (q + offset)·scale}, or {@code fma(q, scale, min)} with minimums: the formats' own formulas. */
    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        Objects.checkIndex(row, rows);
        for (int g = 0; g < groups; g++) {
            float s = scales.scale(row, g), mn = scales.min(row, g);
            for (int v = 0; v < vectors; v++) {
                int word = codes.get(WORD, wordAt(row, g, v));
                for (int n = 0, c = g * group + 8 * v; n < 8 && c < cols; n++, c++) {
                    int q = word >>> 4 * n & 15;
                    out[off + c] = withMins ? Math.fma(q, s, mn) : (q + offset) * s;
                }
            }
        }
    }

    /** A view of the rows: each is its own stream of codes and scales. */
    @Override
    public Int4LaneMatrix sliceRows(int from, int count) {
        Objects.checkFromIndexSize(from, count, rows);
        return new Int4LaneMatrix(name, format, count, cols, group, offset, formatBytes / rows * count,
                codes.asSlice(from * rowBytes(), count * rowBytes()), scales.viewRows(from, count));
    }

    @Override
    public Int4LaneMatrix sliceColumns(int from, int count, Arena arena) {
        Objects.checkFromIndexSize(from, count, cols);
        int grain = columnGrain();
        if (from % grain != 0 || (count % grain != 0 && from + count != cols)) {
            throw new IllegalArgumentException("columns [" + from + ", " + (from + count) + ") of " + name + " ("
                    + format + ") break its groups of " + grain);
        }
        // repacked: a slice's chunks are laid out for its own width
        return withCodes(name, format, rows, count, group, offset, formatBytes / cols * count,
                (row, col) -> code(row, from + col), scales.copy(0, rows, from / group, Math.ceilDiv(count, group), arena),
                arena);
    }

    @Override
    public String toString() {
        return name + " (" + format + ", " + rows + " x " + cols + ", lanes of 4-bit groups)";
    }
}
