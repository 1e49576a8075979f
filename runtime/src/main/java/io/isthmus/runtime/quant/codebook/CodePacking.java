package io.isthmus.runtime.quant.codebook;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * How a row's codes are laid out, in groups of 32 columns (a short last group is padded with code 0):
 * <ul>
 *   <li>4-bit: 16 bytes per group; byte j holds column j in its low nibble and column j + 16 in its
 *       high one (ggml's Q4_0 order), so one byte load gives two vectors' worth of indices.</li>
 *   <li>3-bit: three 32-bit words per group, read as one 96-bit little-endian number whose bits
 *       3i..3i+2 are column i's code; column i + 16 lies exactly 6 bytes after column i, at the same
 *       bit offset, which the vector kernel uses to decode both halves from one byte shuffle.</li>
 * </ul>
 */
public enum CodePacking {
    FOUR_BIT(4, 16),
    THREE_BIT(3, 12);

    /** Columns per group. */
    public static final int GROUP = 32;

    private final int bits;
    private final int groupBytes;

    CodePacking(int bits, int groupBytes) {
        this.bits = bits;
        this.groupBytes = groupBytes;
    }

    /** The packing for {@code bits} per code (3 or 4). */
    public static CodePacking forBits(int bits) {
        return switch (bits) {
            case 4 -> FOUR_BIT;
            case 3 -> THREE_BIT;
            default -> throw new IllegalArgumentException("no code packing for " + bits + " bits");
        };
    }

    public int bits() {
        return bits;
    }

    /** Table entries per row: 2^bits. */
    public int levels() {
        return 1 << bits;
    }

    public int groupBytes() {
        return groupBytes;
    }

    /** Bytes of one row of {@code cols} codes. */
    public long rowBytes(int cols) {
        return (long) groupBytes * ((cols + GROUP - 1) / GROUP);
    }

    /** The code of column {@code c} of the row at byte {@code rowOff}. */
    public int get(MemorySegment seg, long rowOff, int c) {
        long group = rowOff + (long) groupBytes * (c / GROUP);
        int i = c % GROUP;
        if (this == FOUR_BIT) {
            int b = seg.get(ValueLayout.JAVA_BYTE, group + (i & 15)) & 0xFF;
            return i < 16 ? b & 0x0F : b >>> 4;
        }
        int bit = 3 * i;
        int at = bit >>> 3, shift = bit & 7;
        int v = seg.get(ValueLayout.JAVA_BYTE, group + at) & 0xFF;
        if (shift > 5) { // the code runs into the next byte (always inside the group: bit 95 is its last)
            v |= (seg.get(ValueLayout.JAVA_BYTE, group + at + 1) & 0xFF) << 8;
        }
        return v >>> shift & 7;
    }

    /** Packs {@code codes[0..cols)} (each below 2^bits) as one row into {@code out[off..off + rowBytes(cols))}. */
    public void pack(byte[] codes, int cols, byte[] out, int off) {
        java.util.Arrays.fill(out, off, off + (int) rowBytes(cols), (byte) 0);
        for (int c = 0; c < cols; c++) {
            int code = codes[c] & 0xFF;
            int group = off + groupBytes * (c / GROUP);
            int i = c % GROUP;
            if (this == FOUR_BIT) {
                out[group + (i & 15)] |= (byte) (i < 16 ? code : code << 4);
            } else {
                int bit = 3 * i;
                int at = bit >>> 3, shift = bit & 7;
                int v = code << shift;
                out[group + at] |= (byte) v;
                if (shift > 5) {
                    out[group + at + 1] |= (byte) (v >>> 8);
                }
            }
        }
    }
}
