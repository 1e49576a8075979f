package io.isthmus.runtime.quant.uniform;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.kernel.Int4LaneMatrix;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.quant.Calibration;
import io.isthmus.runtime.quant.PackedFormat;
import io.isthmus.runtime.quant.PackedMatrix;
import io.isthmus.runtime.quant.lookup.LookupMatrix;
import io.isthmus.runtime.quant.packing.CodePlanes;
import io.isthmus.runtime.quant.packing.GroupScales;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * {@code int4-gG}: 4-bit unsigned codes in groups of G = 32, 64 or 128 (default) columns along the
 * input dimension, asymmetric: {@code w = q·scale + min} with an f16 scale and minimum per row and
 * group ({@code scale = (max − min)/15}), codes rounded to nearest. Stored and read as a
 * {@link LookupMatrix} with the levels 0..15 (a group's table is {@code q·scale + min}); bound for
 * compute, it is copied into {@link Int4LaneMatrix} ({@link #lanes}), whose GEMV decodes a code with
 * one AND instead of a table lookup.
 */
public final class Int4Format implements PackedFormat {

    static final int DEFAULT_GROUP = 128;
    static final Set<Integer> GROUPS = Set.of(32, 64, 128);
    private static final int LEVELS = 16;
    private static final float[] TABLE = new float[LEVELS];

    static {
        for (int i = 0; i < LEVELS; i++) {
            TABLE[i] = i;
        }
    }

    @Override
    public String name() {
        return "int4";
    }

    @Override
    public FormatSpec resolve(FormatSpec spec) {
        if (spec.sparse()) {
            throw new IllegalArgumentException("format '" + spec.spec() + "': int4 has no +sparse variant");
        }
        int g = spec.groupSize().orElse(DEFAULT_GROUP);
        if (!GROUPS.contains(g)) {
            throw new IllegalArgumentException("format '" + spec.spec() + "': int4 takes groups of 32, 64 or 128 columns, not " + g);
        }
        return new FormatSpec("int4", OptionalInt.of(g), false, spec.sparsePercent());
    }

    /** Round to nearest; calibration is not used. */
    @Override
    public PackedMatrix quantize(String tensorName, float[] w, int rows, int cols, FormatSpec spec,
                                 Calibration calibration, Arena arena) {
        FormatSpec resolved = resolve(spec);
        int g = resolved.groupSize().getAsInt();
        if ((long) rows * cols != w.length) {
            throw new IllegalArgumentException(tensorName + ": " + w.length + " values are not " + rows + " x " + cols);
        }
        CodePlanes codes = CodePlanes.allocate(rows, cols, LookupMatrix.planeWidths(4), arena);
        int groups = LookupMatrix.groups(cols, g);
        GroupScales scales = GroupScales.zeros(rows, groups);
        GroupScales mins = GroupScales.zeros(rows, groups);
        codes.forEachRow(r -> {
            int[] rowCodes = new int[cols];
            int base = r * cols;
            for (int gi = 0; gi < groups; gi++) {
                int from = gi * g, to = Math.min(cols, from + g);
                float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
                for (int c = from; c < to; c++) {
                    float v = w[base + c];
                    if (!Float.isFinite(v)) {
                        throw new IllegalArgumentException(tensorName + ": weight (" + r + ", " + c + ") is " + v);
                    }
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
                float s = scales.set(r, gi, (hi - lo) / (LEVELS - 1));
                float m = mins.set(r, gi, lo);
                if (!Float.isFinite(s) || !Float.isFinite(m)) {
                    throw new IllegalArgumentException(tensorName + ": row " + r + " group " + gi + " spans ["
                            + lo + ", " + hi + "], beyond f16 scales");
                }
                for (int c = from; c < to; c++) {
                    int q = s == 0 ? 0 : Math.round((w[base + c] - m) / s);
                    rowCodes[c] = Math.clamp(q, 0, LEVELS - 1);
                }
            }
            codes.setRow(r, rowCodes);
        });
        return new LookupMatrix(tensorName, resolved, codes, g, scales, mins, TABLE, false);
    }

    /** Whether int4 matrices compute in {@link Int4LaneMatrix} ({@code -Disthmus.int4.lanes}, default true) or in their lookup layout. */
    private static final boolean LANES = Boolean.parseBoolean(System.getProperty("isthmus.int4.lanes", "true"));

    @Override
    public boolean bindsToCopy() {
        return LANES;
    }

    /** {@code m} in {@link Int4LaneMatrix} ({@link #lanes}), unless {@code -Disthmus.int4.lanes=false}. */
    @Override
    public WeightMatrix bind(PackedMatrix m, Arena arena) {
        if (!(m instanceof LookupMatrix l) || !l.spec().name().equals(name())) {
            throw new IllegalArgumentException(m.name() + ": not an int4 matrix but " + m.format());
        }
        return LANES ? lanes(l, arena) : m;
    }

    /**
     * The int4 matrix {@code m} in {@link Int4LaneMatrix}'s layout, copied into {@code arena}: the same
     * codes and the same f16 scales and minimums, so the same weights.
     */
    private static Int4LaneMatrix lanes(LookupMatrix m, Arena arena) {
        CodePlanes codes = m.codes();
        short[] scales = m.scales().halves(), mins = m.mins().halves();
        return Int4LaneMatrix.pack(m.name(), m.format(), m.rows(), m.cols(), m.group(), 0, true, m.formatBytes(),
                new Int4LaneMatrix.Source() {
                    @Override
                    public int code(int row, int col) {
                        return codes.code(row, col);
                    }

                    @Override
                    public short scale(int row, int group) {
                        return scales[m.scales().rowIndex(row) + group];
                    }

                    @Override
                    public short min(int row, int group) {
                        return mins[m.mins().rowIndex(row) + group];
                    }
                }, arena);
    }

    @Override
    public PackedMatrix read(String tensorName, int rows, int cols, FormatSpec spec, Map<String, MemorySegment> parts) {
        FormatSpec resolved = resolve(spec);
        int g = resolved.groupSize().getAsInt();
        int groups = LookupMatrix.groups(cols, g);
        CodePlanes codes = CodePlanes.of(tensorName, rows, cols, LookupMatrix.planeWidths(4),
                new MemorySegment[] {parts.get("codes")}, LookupMatrix.planeParts(4));
        return new LookupMatrix(tensorName, resolved, codes, g,
                GroupScales.read(tensorName, "scales", parts.get("scales"), rows, groups),
                GroupScales.read(tensorName, "mins", parts.get("mins"), rows, groups), TABLE, false);
    }
}
