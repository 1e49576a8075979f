package io.isthmus.runtime.quant.packing;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * One f16 value per row and group of columns (a scale, a minimum), row-major. Kept on the heap: the
 * kernels read one per group, and a heap array costs them less than a segment access. Row slices
 * share the array.
 */
public final class GroupScales {

    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final short[] halves;
    private final int offset;
    private final int rows;
    private final int groups;

    private GroupScales(short[] halves, int offset, int rows, int groups) {
        this.halves = halves;
        this.offset = offset;
        this.rows = rows;
        this.groups = groups;
    }

    /** All zero, for {@code rows × groups} values. */
    public static GroupScales zeros(int rows, int groups) {
        return new GroupScales(new short[Math.multiplyExact(rows, groups)], 0, rows, groups);
    }

    /** Copied from a little-endian f16 part; an error names {@code tensor} and the part when the size is wrong. */
    public static GroupScales read(String tensor, String partName, MemorySegment part, int rows, int groups) {
        Objects.requireNonNull(part, () -> tensor + ": missing part '" + partName + "'");
        long want = 2L * rows * groups;
        if (part.byteSize() != want) {
            throw new IllegalArgumentException(tensor + ": part '" + partName + "' has " + part.byteSize()
                    + " bytes, expected " + want + " (" + rows + " rows x " + groups + " groups of f16)");
        }
        GroupScales s = zeros(rows, groups);
        for (int i = 0; i < s.halves.length; i++) {
            s.halves[i] = part.get(SHORT_LE, 2L * i);
        }
        return s;
    }

    public int rows() {
        return rows;
    }

    public int groups() {
        return groups;
    }

    /** The value of {@code (row, group)} as a float. */
    public float get(int row, int group) {
        return Float.float16ToFloat(halves[index(row, group)]);
    }

    /** Stores {@code value} rounded to f16 and returns what was stored, as a float. */
    public float set(int row, int group, float value) {
        short h = Float.floatToFloat16(value);
        halves[index(row, group)] = h;
        return Float.float16ToFloat(h);
    }

    /** The backing array, with {@link #rowIndex} into it. */
    public short[] halves() {
        return halves;
    }

    /** Position of {@code (row, 0)} in {@link #halves()}. */
    public int rowIndex(int row) {
        return offset + row * groups;
    }

    private int index(int row, int group) {
        Objects.checkIndex(row, rows);
        Objects.checkIndex(group, groups);
        return offset + row * groups + group;
    }

    /** Rows {@code [from, from + count)}, sharing the array. */
    public GroupScales sliceRows(int from, int count) {
        Objects.checkFromIndexSize(from, count, rows);
        return new GroupScales(halves, offset + from * groups, count, groups);
    }

    /** Groups {@code [from, from + count)} of every row, copied. */
    public GroupScales sliceGroups(int from, int count) {
        Objects.checkFromIndexSize(from, count, groups);
        GroupScales s = zeros(rows, count);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(halves, offset + r * groups + from, s.halves, r * count, count);
        }
        return s;
    }

    /** The values as a little-endian f16 part (a view of the array where the platform is little-endian). */
    public MemorySegment part() {
        MemorySegment view = MemorySegment.ofArray(halves).asSlice(2L * offset, 2L * rows * groups);
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            return view;
        }
        MemorySegment le = MemorySegment.ofArray(new short[rows * groups]);
        for (long i = 0; i < (long) rows * groups; i++) {
            le.set(SHORT_LE, 2 * i, view.getAtIndex(ValueLayout.JAVA_SHORT, i));
        }
        return le;
    }

    public long byteSize() {
        return 2L * rows * groups;
    }
}
