package io.isthmus.collectives;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Moves floats between Java arrays and memory in a wire format, in native byte order; sums are in
 * f32. The shared-memory segments and the TCP frames both carry values this way.
 */
public final class WireCopy {
    // unaligned: a TCP frame's payload starts wherever the frame decoder sliced it
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort BF16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    /** Lane-wise adds: the same f32 additions as the scalar loop, so results stay bit-identical. */
    private static final VectorSpecies<Float> LANES = FloatVector.SPECIES_PREFERRED;

    private WireCopy() {
    }

    public static int bytes(WireType wire) {
        return wire == WireType.F32 ? 4 : 2;
    }

    /** Writes data[from, from+count) at {@code offset}, converting to the wire type. */
    public static void store(float[] data, int from, int count, MemorySegment segment, long offset, WireType wire) {
        if (wire == WireType.F32) {
            MemorySegment.copy(data, from, segment, F32, offset, count);
            return;
        }
        for (int i = 0; i < count; i++) {
            segment.set(BF16, offset + 2L * i, Bf16.fromFloat(data[from + i]));
        }
    }

    /** data[from, from+count) = the wire values at {@code offset}, as f32. */
    public static void load(MemorySegment segment, long offset, WireType wire, float[] data, int from, int count) {
        if (wire == WireType.F32) {
            MemorySegment.copy(segment, F32, offset, data, from, count);
            return;
        }
        for (int i = 0; i < count; i++) {
            data[from + i] = Bf16.toFloat(segment.get(BF16, offset + 2L * i));
        }
    }

    /** data[from, from+count) += the wire values at {@code offset}, in f32. */
    public static void add(MemorySegment segment, long offset, WireType wire, float[] data, int from, int count) {
        if (wire == WireType.F32) {
            int i = 0;
            for (int vectorEnd = LANES.loopBound(count); i < vectorEnd; i += LANES.length()) {
                FloatVector sum = FloatVector.fromArray(LANES, data, from + i)
                        .add(FloatVector.fromMemorySegment(LANES, segment, offset + 4L * i, ByteOrder.nativeOrder()));
                sum.intoArray(data, from + i);
            }
            for (; i < count; i++) {
                data[from + i] += segment.get(F32, offset + 4L * i);
            }
            return;
        }
        for (int i = 0; i < count; i++) {
            data[from + i] += Bf16.toFloat(segment.get(BF16, offset + 2L * i));
        }
    }
}
