package io.isthmus.runtime.quant.lookup;

import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.I;
import static io.isthmus.runtime.kernel.VectorSettings.S;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;

import io.isthmus.runtime.kernel.RowTiles;
import io.isthmus.runtime.quant.packing.CodePlanes;
import io.isthmus.runtime.quant.packing.GroupScales;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * What the lookup kernels share. A code decodes by a two-register lane permute of a 16-entry
 * table ({@code idx.selectFrom(a, b)}, which wraps its indexes): at 256 bits a and b are the
 * table's two halves, at 512 bits both are the whole table. 3-bit tables repeat their 8 levels
 * twice, so the index bits above the code's are ignored either way. For one x row the kernels look
 * up the unscaled levels and scale each 32-column slot's sum once ({@link #minTerm} adds the
 * minimums); for tiles of four x rows, where a decoded weight serves four products, each group
 * of the row gets its own table {@code level·scale + min} first ({@link #prepare}: one vector fma
 * per group into {@code 16 · groups} floats of scratch that stay in L1). Vectors of fewer than 8
 * lanes take {@link #scalarDot}. One instance per {@code matmul} call or range of a product (it
 * owns the scratch); not thread-safe.
 *
 * <p>The kernels write the decode out in their loops instead of calling a helper: C2 stops
 * inlining ordinary methods into a method this full of vector code, and a helper that takes or
 * returns vectors then boxes them (as measured: 3-5× slower).
 */
abstract class RowTables implements RowTiles.RowDots {

    /** Floats per group table. */
    static final int ENTRIES = 16;
    /** Offset of the second permute register in a table: its upper half at 256 bits, the table again at 512. */
    static final int SECOND = LANES >= ENTRIES ? 0 : LANES;
    /** Whether the vector permute path applies (two registers hold 16 entries). */
    static final boolean VECTOR = 2 * LANES >= ENTRIES;

    final CodePlanes codes;
    final int k;
    /** The tables of row {@link #tableRow}: one 16-entry table per group (allocated by the first {@link #prepare}). */
    float[] tables;
    /** Offsets from a chunk's first table to those of its columns 32, 64 and 96 (groups are 32 to 256 wide). */
    final int slot1, slot2, slot3;
    final int groupShift;
    /** The tensor's levels, repeated to 16 entries. */
    final float[] levels;
    final GroupScales scales;
    final GroupScales mins;
    private final int groups;
    /**
     * Σ x over the whole-chunk columns of each group, for the x row at {@link #sumsAt} of {@link #sumsOf}:
     * a product's shared sums ({@link #useGroupSums}) or {@link #ownSums}.
     */
    private float[] groupSums;
    private float[] ownSums;
    private float[] sumsOf;
    private int sumsAt = -1;
    private int tableRow = -1;

    RowTables(LookupMatrix w, float[] table) {
        this.codes = w.codes();
        this.k = w.cols();
        this.groupShift = Integer.numberOfTrailingZeros(w.group());
        this.scales = w.scales();
        this.mins = w.mins();
        this.groups = scales.groups();
        this.levels = new float[ENTRIES];
        for (int i = 0; i < ENTRIES; i++) {
            levels[i] = table[i % table.length];
        }
        int g = w.group();
        this.slot1 = ENTRIES * (32 / g);
        this.slot2 = ENTRIES * (64 / g);
        this.slot3 = ENTRIES * (96 / g);
    }

    /** Builds the group tables of {@code row} unless they are already there. */
    final void prepare(int row) {
        if (row == tableRow) {
            return;
        }
        if (tables == null) {
            tables = new float[ENTRIES * groups];
        }
        short[] s = scales.halves();
        int si = scales.rowIndex(row);
        short[] mh = mins == null ? null : mins.halves();
        int mi = mins == null ? 0 : mins.rowIndex(row);
        for (int g = 0; g < groups; g++) {
            float scale = Float.float16ToFloat(s[si + g]);
            float min = mh == null ? 0f : Float.float16ToFloat(mh[mi + g]);
            for (int p = 0; p < ENTRIES; p += LANES) {
                FloatVector.fromArray(F, levels, p).fma(scale, min).intoArray(tables, ENTRIES * g + p);
            }
        }
        tableRow = row;
    }

    /**
     * Σ_g min[row][g]·Σ_{c in g} x[xo + c] over the columns of whole chunks: the minimums' share of
     * a dot product whose levels were scaled but not shifted (0 for formats without minimums).
     */
    final float minTerm(int row, float[] x, int xo) {
        if (mins == null) {
            return 0;
        }
        if (x != sumsOf || xo != sumsAt) {
            if (ownSums == null) {
                ownSums = new float[groups];
            }
            groupSums(x, xo, ownSums);
            useGroupSums(x, xo, ownSums);
        }
        short[] m = mins.halves();
        int mi = mins.rowIndex(row);
        FloatVector acc = FloatVector.zero(F);
        int g = 0;
        for (; g + LANES <= groups; g += LANES) { // f16 to f32 in registers, as F16Kernel: sign-extend, shift, mask, rescale by 2^112
            acc = ((IntVector) ShortVector.fromArray(S, m, mi + g).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f)
                    .fma(FloatVector.fromArray(F, groupSums, g), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; g < groups; g++) {
            sum += Float.float16ToFloat(m[mi + g]) * groupSums[g];
        }
        return sum;
    }

    /** Σ x over the whole-chunk columns of each group of the x row at {@code xo}, into {@code out}. */
    final void groupSums(float[] x, int xo, float[] out) {
        int end = k / CodePlanes.CHUNK * CodePlanes.CHUNK;
        for (int g = 0; g < groups; g++) {
            int c = g << groupShift, to = Math.min(end, (g + 1) << groupShift);
            FloatVector acc = FloatVector.zero(F);
            for (; c + LANES <= to; c += LANES) {
                acc = acc.add(FloatVector.fromArray(F, x, xo + c));
            }
            float s = acc.reduceLanes(VectorOperators.ADD);
            for (; c < to; c++) {
                s += x[xo + c];
            }
            out[g] = s;
        }
    }

    /**
     * Takes {@code sums}, made by {@link #groupSums} for the x row at {@code xo}, instead of summing
     * again: a product's rows are shared out to many instances, which then only read them.
     */
    final void useGroupSums(float[] x, int xo, float[] sums) {
        groupSums = sums;
        sumsOf = x;
        sumsAt = xo;
    }

    /** Offset in {@link #tables} of the table for column {@code col}. */
    final int tableAt(int col) {
        return (col >>> groupShift) * ENTRIES;
    }

    /**
     * Σ_c W[row][c]·x[xo + c] one column at a time, for vectors of fewer than 8 lanes, which cannot
     * hold a 16-entry table in two registers.
     */
    final float scalarDot(int row, float[] x, int xo) {
        prepare(row);
        float s = 0;
        for (int c = 0; c < k; c++) {
            s += tables[tableAt(c) + codes.code(row, c)] * x[xo + c];
        }
        return s;
    }
}
