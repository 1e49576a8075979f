package io.isthmus.runtime.quant.lookup;

import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;

import io.isthmus.runtime.kernel.RowTiles;
import io.isthmus.runtime.quant.packing.CodePlanes;
import io.isthmus.runtime.quant.packing.GroupScales;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * What the lookup kernels share: before a row is multiplied, each of its groups gets its own
 * 16-entry table {@code level·scale + min} (one vector fma per group, {@code 16 · groups} floats of
 * scratch that stay in L1), and a code then decodes by a lane permute of its group's table. 3-bit
 * tables repeat their 8 levels twice, so the permute may ignore bit 3 of an index. One instance per
 * {@code matmul} call (it owns the scratch); not thread-safe.
 */
abstract class RowTables implements RowTiles.RowDots {

    /** Floats per group table. */
    static final int ENTRIES = 16;

    final CodePlanes codes;
    final int k;
    final int groupShift;
    final float[] tables;
    private final float[] levels;
    private final GroupScales scales;
    private final GroupScales mins;
    private final int groups;
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
    }

    /** Builds the group tables of {@code row} unless they are already there. */
    final void prepare(int row) {
        if (row == tableRow) {
            return;
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

    /** Offset in {@link #tables} of the table for column {@code col}. */
    final int tableAt(int col) {
        return (col >>> groupShift) * ENTRIES;
    }

    /**
     * The entries of the table at {@code t} picked by the low 4 bits of each lane of {@code idx}
     * (higher bits are ignored: the permutes wrap their indexes). One permute at 512 bits, a
     * two-register permute at 256, two of those and a blend at 128.
     */
    static FloatVector lookup(IntVector idx, float[] tables, int t) {
        if (LANES >= ENTRIES) {
            return idx.selectFrom(FloatVector.fromArray(F, tables, t).reinterpretAsInts()).reinterpretAsFloats();
        }
        IntVector lo = idx.selectFrom(FloatVector.fromArray(F, tables, t).reinterpretAsInts(),
                FloatVector.fromArray(F, tables, t + LANES).reinterpretAsInts());
        if (2 * LANES >= ENTRIES) {
            return lo.reinterpretAsFloats();
        }
        IntVector hi = idx.selectFrom(FloatVector.fromArray(F, tables, t + 2 * LANES).reinterpretAsInts(),
                FloatVector.fromArray(F, tables, t + 3 * LANES).reinterpretAsInts());
        return lo.blend(hi, idx.and(8).compare(VectorOperators.NE, 0)).reinterpretAsFloats();
    }
}
