package io.isthmus.runtime.quant.lookup;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.kernel.RowProduct;
import io.isthmus.runtime.kernel.RowTiles;
import io.isthmus.runtime.quant.PackedMatrix;
import io.isthmus.runtime.quant.packing.CodePlanes;
import io.isthmus.runtime.quant.packing.GroupScales;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Weights {@code w = table[code]·scale[row][col / G] + min[row][col / G]}: b-bit codes (3 or 4) in
 * {@link CodePlanes}, ONE table of 2^b values for the whole tensor, an f16 scale per row and group of
 * G columns and, for asymmetric formats, an f16 minimum (absent: zero). This covers int4 (table
 * 0..15 with scale and minimum) and NormalFloat nf4/nf3 (the NF table times an absmax scale).
 * The kernels turn each group's table into one 16-lane vector (value·scale + min, one fma) and
 * decode codes with a lane permute of it ({@link Lookup4Dots}, {@link Lookup3Dots}).
 *
 * <p>Parts: {@code codes} (4-bit) or {@code codes.lo2} and {@code codes.hi1} (3-bit planes),
 * {@code scales}, {@code mins} when present, and {@code table} (2^b f32) where the format stores it.
 */
public final class LookupMatrix implements PackedMatrix {

    private final String name;
    private final FormatSpec spec;
    private final CodePlanes codes;
    private final int group;
    private final GroupScales scales;
    private final GroupScales mins;
    private final float[] table;
    private final boolean tableIsPart;

    /**
     * @param group       G, a power of two of at least 32 (two slabs)
     * @param mins        null for symmetric formats
     * @param table       2^b values, b = the code width of {@code codes}
     * @param tableIsPart whether {@link #parts()} carries the table (false where the format fixes it)
     */
    public LookupMatrix(String name, FormatSpec spec, CodePlanes codes, int group, GroupScales scales,
                        GroupScales mins, float[] table, boolean tableIsPart) {
        this.name = Objects.requireNonNull(name);
        this.spec = Objects.requireNonNull(spec);
        this.codes = codes;
        this.group = group;
        this.scales = scales;
        this.mins = mins;
        this.table = table.clone();
        this.tableIsPart = tableIsPart;
        int bits = bits(codes);
        if (bits != 3 && bits != 4) {
            throw new IllegalArgumentException(name + ": lookup codes must have 3 or 4 bits, not " + bits);
        }
        if (table.length != 1 << bits) {
            throw new IllegalArgumentException(name + ": a " + bits + "-bit table needs " + (1 << bits) + " values, got " + table.length);
        }
        if (group < 32 || Integer.bitCount(group) != 1) {
            throw new IllegalArgumentException(name + ": group size must be a power of two of at least 32, got " + group);
        }
        int groups = groups(codes.cols(), group);
        if (scales.rows() != codes.rows() || scales.groups() != groups
                || (mins != null && (mins.rows() != codes.rows() || mins.groups() != groups))) {
            throw new IllegalArgumentException(name + ": scales of " + scales.rows() + " x " + scales.groups()
                    + " do not fit " + codes.rows() + " x " + codes.cols() + " codes in groups of " + group);
        }
    }

    /** Groups of {@code group} columns in a row of {@code cols} (the last one may be partial). */
    public static int groups(int cols, int group) {
        return (cols + group - 1) / group;
    }

    static int bits(CodePlanes codes) {
        int b = 0;
        for (int p = 0; p < codes.planeCount(); p++) {
            b += codes.width(p);
        }
        return b;
    }

    /** The plane widths of b-bit codes: one nibble plane, or a 2-bit and a 1-bit plane. */
    public static int[] planeWidths(int bits) {
        return switch (bits) {
            case 4 -> new int[] {4};
            case 3 -> new int[] {2, 1};
            default -> throw new IllegalArgumentException("lookup codes have 3 or 4 bits, not " + bits);
        };
    }

    /** Part names of the code planes of b-bit codes. */
    public static String[] planeParts(int bits) {
        return bits == 4 ? new String[] {"codes"} : new String[] {"codes.lo2", "codes.hi1"};
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public FormatSpec spec() {
        return spec;
    }

    @Override
    public int rows() {
        return codes.rows();
    }

    @Override
    public int cols() {
        return codes.cols();
    }

    public int bits() {
        return bits(codes);
    }

    public int group() {
        return group;
    }

    public CodePlanes codes() {
        return codes;
    }

    public GroupScales scales() {
        return scales;
    }

    /** The minimums, or null for a symmetric format. */
    public GroupScales mins() {
        return mins;
    }

    /** A copy of the 2^b table values. */
    public float[] table() {
        return table.clone();
    }

    @Override
    public long byteSize() {
        return codes.byteSize() + scales.byteSize() + (mins == null ? 0 : mins.byteSize()) + (tableIsPart ? 4L * table.length : 0);
    }

    @Override
    public void matmul(float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
        product(x, xOff, m, y, yOff).rows(rowFrom, rowTo);
    }

    /**
     * A single x row's per-group sums, which the minimums multiply, are made once per product
     * instead of once per range of rows.
     */
    @Override
    public RowProduct product(float[] x, int xOff, int m, float[] y, int yOff) {
        if (m != 1 || mins == null) {
            return (rowFrom, rowTo) -> RowTiles.matmul(dots(), rows(), cols(), x, xOff, m, y, yOff, rowFrom, rowTo);
        }
        Objects.checkFromIndexSize(xOff, cols(), x.length);
        float[] sums = new float[scales.groups()];
        dots().groupSums(x, xOff, sums);
        return (rowFrom, rowTo) -> {
            RowTables dots = dots();
            dots.useGroupSums(x, xOff, sums);
            RowTiles.matmul(dots, rows(), cols(), x, xOff, 1, y, yOff, rowFrom, rowTo);
        };
    }

    private RowTables dots() {
        return bits() == 3 ? new Lookup3Dots(this, table) : new Lookup4Dots(this, table);
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        int cols = cols();
        for (int g = 0; g * group < cols; g++) {
            float s = scales.get(row, g);
            float mn = mins == null ? 0f : mins.get(row, g);
            for (int c = g * group; c < Math.min(cols, (g + 1) * group); c++) {
                out[off + c] = value(table[codes.code(row, c)], s, mn);
            }
        }
    }

    /** A decoded weight: one fma, as the kernels build their tables. */
    static float value(float level, float scale, float min) {
        return Math.fma(level, scale, min);
    }

    @Override
    public int columnGrain() {
        return group;
    }

    @Override
    public LookupMatrix sliceRows(int from, int count) {
        return new LookupMatrix(name, spec, codes.sliceRows(from, count), group, scales.sliceRows(from, count),
                mins == null ? null : mins.sliceRows(from, count), table, tableIsPart);
    }

    @Override
    public LookupMatrix sliceColumns(int from, int count, Arena arena) {
        Objects.checkFromIndexSize(from, count, cols());
        if (from % group != 0 || (count % group != 0 && from + count != cols())) {
            throw new IllegalArgumentException("columns [" + from + ", " + (from + count) + ") of " + name + " ("
                    + spec.spec() + ") break its groups of " + group);
        }
        int g0 = from / group;
        int gn = groups(count, group);
        return new LookupMatrix(name, spec, codes.sliceColumns(from, count, arena), group, scales.sliceGroups(g0, gn),
                mins == null ? null : mins.sliceGroups(g0, gn), table, tableIsPart);
    }

    @Override
    public Map<String, MemorySegment> parts() {
        Map<String, MemorySegment> p = new LinkedHashMap<>();
        String[] names = planeParts(bits());
        for (int i = 0; i < names.length; i++) {
            p.put(names[i], codes.plane(i));
        }
        p.put("scales", scales.part());
        if (mins != null) {
            p.put("mins", mins.part());
        }
        if (tableIsPart) {
            p.put("table", MemorySegment.ofArray(table.clone()));
        }
        return p;
    }

    @Override
    public String toString() {
        return name + " (" + spec.spec() + ", " + rows() + " x " + cols() + ")";
    }
}
