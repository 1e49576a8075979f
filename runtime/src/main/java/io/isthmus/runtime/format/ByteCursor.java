package io.isthmus.runtime.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Sequential little-endian reads over a segment, with truncation reported as a format error naming the file. */
final class ByteCursor {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment seg;
    private final Path path;
    private long pos;

    ByteCursor(MemorySegment seg, Path path, long pos) {
        this.seg = seg;
        this.path = path;
        this.pos = pos;
    }

    long position() {
        return pos;
    }

    void position(long p) {
        pos = p;
    }

    private long take(long n, String what) {
        if (n < 0 || pos + n > seg.byteSize()) {
            throw new ModelFormatException(path + ": truncated or corrupt: reading " + what + " at byte " + pos
                    + " needs " + n + " bytes but the file has " + seg.byteSize());
        }
        long at = pos;
        pos += n;
        return at;
    }

    byte i8(String what) {
        return seg.get(ValueLayout.JAVA_BYTE, take(1, what));
    }

    short i16(String what) {
        return seg.get(I16, take(2, what));
    }

    int i32(String what) {
        return seg.get(I32, take(4, what));
    }

    long i64(String what) {
        return seg.get(I64, take(8, what));
    }

    float f32(String what) {
        return seg.get(F32, take(4, what));
    }

    double f64(String what) {
        return seg.get(F64, take(8, what));
    }

    byte[] bytes(long n, String what) {
        if (n > Integer.MAX_VALUE) {
            throw new ModelFormatException(path + ": corrupt: " + what + " claims " + n + " bytes");
        }
        long at = take(n, what);
        return seg.asSlice(at, n).toArray(ValueLayout.JAVA_BYTE);
    }

    String utf8(long n, String what) {
        return new String(bytes(n, what), StandardCharsets.UTF_8);
    }
}
