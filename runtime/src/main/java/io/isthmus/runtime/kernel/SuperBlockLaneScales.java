package io.isthmus.runtime.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GGUF Q4_K's scales: super-blocks of {@value #SUPER} groups, each group with a 6-bit scale and a 6-bit
 * minimum, each super-block with an f16 d and an f16 dmin: {@code scale = d·sc}, {@code min = −dmin·m},
 * both exact in float (11 bits times 6). A super-block is one {@value #RECORD}-byte record here: the 8
 * scales and 8 minimums a byte each (unpacked from the format's 12 bytes), then d and dmin as floats.
 * That is 3 bytes a group of 32 against the format's 2 (a 4-bit GEMV reads 6 % more), and a row's
 * decode is one 16-byte load and two conversions and multiplies per super-block, not the bit
 * shuffling of the format's packed scales; f16 products d·sc would round.
 */
final class SuperBlockLaneScales implements LaneScales {

    /** Groups per super-block. */
    static final int SUPER = 8;
    /** Bytes per super-block: 8 scales, 8 minimums, d, dmin. */
    private static final int RECORD = 2 * SUPER + 8;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;

    private final int supers; // per row (a partial last one is stored whole)
    private final MemorySegment records;

    private SuperBlockLaneScales(int supers, MemorySegment records) {
        this.supers = supers;
        this.records = records;
    }

    /** Zeros for {@code rows × groups}, to {@link #setSuper} and {@link #setGroup}. */
    static SuperBlockLaneScales allocate(long rows, int groups, Arena arena) {
        int supers = Math.ceilDiv(groups, SUPER);
        return new SuperBlockLaneScales(supers, arena.allocate(rows * supers * RECORD, 64));
    }

    private long recordAt(int row, int s) {
        return ((long) row * supers + s) * RECORD;
    }

    /** Super-block {@code s} of row {@code row}: the f16 bits of d and dmin. */
    void setSuper(int row, int s, short dBits, short dminBits) {
        records.set(FLOAT, recordAt(row, s) + 2 * SUPER, Float.float16ToFloat(dBits));
        records.set(FLOAT, recordAt(row, s) + 2 * SUPER + 4, Float.float16ToFloat(dminBits));
    }

    /** Group {@code g} of row {@code row}: its 6-bit scale and minimum. */
    void setGroup(int row, int g, int scale, int min) {
        if (((scale | min) & ~63) != 0) {
            throw new IllegalArgumentException("a super-block group's scale and min are 6-bit, not " + scale + " and " + min);
        }
        long at = recordAt(row, g / SUPER) + g % SUPER;
        records.set(ValueLayout.JAVA_BYTE, at, (byte) scale);
        records.set(ValueLayout.JAVA_BYTE, at + SUPER, (byte) min);
    }

    @Override
    public boolean hasMins() {
        return true;
    }

    /** Row {@code row}'s group scales into {@code out[scalesAt..]}, its minimums into {@code out[minsAt..]}, whole super-blocks. */
    void decodeRow(int row, float[] out, int scalesAt, int minsAt) {
        long at = recordAt(row, 0);
        for (int g = 0; g < supers * SUPER; g += SUPER, at += RECORD) {
            ByteVector both = ByteVector.fromMemorySegment(B16, records, at, ByteOrder.LITTLE_ENDIAN);
            float d = records.get(FLOAT, at + 2 * SUPER), dmin = records.get(FLOAT, at + 2 * SUPER + 4);
            ((FloatVector) both.convertShape(VectorOperators.B2F, F8, 0)).mul(d).intoArray(out, scalesAt + g);
            ((FloatVector) both.convertShape(VectorOperators.B2F, F8, 1)).mul(-dmin).intoArray(out, minsAt + g);
        }
    }

    @Override
    public float scale(int row, int g) {
        long at = recordAt(row, g / SUPER);
        return records.get(FLOAT, at + 2 * SUPER) * records.get(ValueLayout.JAVA_BYTE, at + g % SUPER);
    }

    @Override
    public float min(int row, int g) {
        long at = recordAt(row, g / SUPER);
        return -records.get(FLOAT, at + 2 * SUPER + 4) * records.get(ValueLayout.JAVA_BYTE, at + SUPER + g % SUPER);
    }

    @Override
    public long rowBytes() {
        return (long) supers * RECORD;
    }

    @Override
    public int groupGrain() {
        return SUPER;
    }

    @Override
    public LaneScales viewRows(long from, long count) {
        return new SuperBlockLaneScales(supers, records.asSlice(from * rowBytes(), count * rowBytes()));
    }

    @Override
    public LaneScales copy(int row0, int count, int g0, int groups, Arena arena) {
        if (g0 % SUPER != 0) {
            throw new IllegalArgumentException("groups [" + g0 + ", " + (g0 + groups) + ") break super-blocks of " + SUPER);
        }
        SuperBlockLaneScales c = allocate(count, groups, arena);
        for (int r = 0; r < count; r++) {
            MemorySegment.copy(records, recordAt(row0 + r, g0 / SUPER), c.records, c.recordAt(r, 0), c.rowBytes());
        }
        return c;
    }
}
