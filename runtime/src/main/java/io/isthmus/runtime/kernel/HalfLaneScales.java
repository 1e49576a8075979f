package io.isthmus.runtime.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** An f16 scale, and optionally an f16 minimum, per row and group, row-major: Q4_0's d, int4's scale and min. */
final class HalfLaneScales implements LaneScales {

    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int groups; // per row
    private final MemorySegment scales;
    private final MemorySegment mins; // null: none

    private HalfLaneScales(int groups, MemorySegment scales, MemorySegment mins) {
        this.groups = groups;
        this.scales = scales;
        this.mins = mins;
    }

    /** Zeros for {@code rows × groups}, to {@link #set}. */
    static HalfLaneScales allocate(long rows, int groups, boolean withMins, Arena arena) {
        return new HalfLaneScales(groups, arena.allocate(2 * rows * groups, 64),
                withMins ? arena.allocate(2 * rows * groups, 64) : null);
    }

    /** Row {@code row}, group {@code g}: the f16 bits of its scale and (with minimums) of its minimum. */
    void set(int row, int g, short scale, short min) {
        scales.set(HALF, at(row, g), scale);
        if (mins != null) {
            mins.set(HALF, at(row, g), min);
        }
    }

    private long at(int row, int g) {
        return 2 * ((long) row * groups + g);
    }

    /** The f16 scales, row-major: row r's group g at byte {@code 2·(r·groups + g)}. */
    MemorySegment scaleSegment() {
        return scales;
    }

    /** The f16 minimums as {@link #scaleSegment} holds the scales, or null without minimums. */
    MemorySegment minSegment() {
        return mins;
    }

    @Override
    public boolean hasMins() {
        return mins != null;
    }

    @Override
    public float scale(int row, int g) {
        return Float.float16ToFloat(scales.get(HALF, at(row, g)));
    }

    @Override
    public float min(int row, int g) {
        return mins == null ? 0 : Float.float16ToFloat(mins.get(HALF, at(row, g)));
    }

    @Override
    public long rowBytes() {
        return (long) groups * (mins == null ? 2 : 4);
    }

    @Override
    public int groupGrain() {
        return 1;
    }

    @Override
    public LaneScales viewRows(long from, long count) {
        long rowHalves = 2L * groups;
        return new HalfLaneScales(groups, scales.asSlice(from * rowHalves, count * rowHalves),
                mins == null ? null : mins.asSlice(from * rowHalves, count * rowHalves));
    }

    @Override
    public LaneScales copy(int row0, int count, int g0, int groups, Arena arena) {
        HalfLaneScales c = allocate(count, groups, mins != null, arena);
        for (int r = 0; r < count; r++) {
            for (int g = 0; g < groups; g++) {
                c.set(r, g, scales.get(HALF, at(row0 + r, g0 + g)), mins == null ? 0 : mins.get(HALF, at(row0 + r, g0 + g)));
            }
        }
        return c;
    }
}
