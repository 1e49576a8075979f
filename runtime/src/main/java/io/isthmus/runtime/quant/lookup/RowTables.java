package io.isthmus.runtime.quant.lookup;

import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;

import io.isthmus.runtime.kernel.RowTiles;
import io.isthmus.runtime.quant.packing.CodePlanes;
import io.isthmus.runtime.quant.packing.GroupScales;
import jdk.incubator.vector.FloatVector;

/**
 * What the lookup kernels share: before a row is multiplied, each of its groups gets its own
 * 16-entry table {@code level·scale + min} (one vector fma per group, {@code 16 · groups} floats of
 * scratch that stay in L1), and a code then decodes by a two-register lane permute
 * ({@code idx.selectFrom(a, b)}, which wraps its indexes): at 256 bits a and b are the table's two
 * halves, at 512 bits both are the whole table. 3-bit tables repeat their 8 levels twice, so
 * the index bits above the code's are ignored either way. Vectors of fewer than 8 lanes take
 * {@link #scalarDot}. One instance per {@code matmul} call (it owns the scratch); not thread-safe.
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
    /** One 16-entry table per group. */
    final float[] tables;
    /** Offsets from a chunk's first table to those of its columns 32, 64 and 96 (groups are 32 to 256 wide). */
    final int slot1, slot2, slot3;
    private final int groupShift;
    private final float[] levels;
    private final GroupScales scales;
    private final GroupScales mins;
    private final int groups;
    private final float[] rowScales;
    private final float[] rowMins;
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
        this.tables = new float[ENTRIES * groups];
        this.rowScales = new float[groups];
        this.rowMins = new float[groups];
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
        scales.rowAsFloats(row, rowScales);
        if (mins != null) {
            mins.rowAsFloats(row, rowMins); // else they stay 0
        }
        for (int g = 0; g < groups; g++) {
            for (int p = 0; p < ENTRIES; p += LANES) {
                FloatVector.fromArray(F, levels, p).fma(rowScales[g], rowMins[g]).intoArray(tables, ENTRIES * g + p);
            }
        }
        tableRow = row;
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
