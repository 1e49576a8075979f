package io.isthmus.runtime.quant.codebook;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * How a row's codes are laid out: in blocks of columns, each a run of little-endian 32-bit words
 * seen as 16 lanes, lane l holding the codes of columns l, l + 16, l + 32, ... of the block. A
 * vector load of the lanes and one shift then give the codes of 16 consecutive columns at once
 * ("plane" t: columns 16t .. 16t + 15), with no byte widening or shuffling before the table lookup.
 * <ul>
 *   <li>4-bit: 128 columns in 64 bytes (16 words); plane t is bits 4t..4t+3 of each word, i.e.
 *       two codes per byte.</li>
 *   <li>3-bit: 512 columns in 192 bytes: three runs of 16 words, so each lane's 32 codes are packed
 *       in three 32-bit words (96 bits). Planes 0-9 are bits 3t'..3t'+2 of the first word (t' = t mod 10),
 *       10-19 of the second, 20-29 of the third; plane 30 is the top two bits of the first word plus
 *       bit 30 of the second (as bit 2), plane 31 bit 31 of the second plus the top two bits of the third.</li>
 * </ul>
 * A row's last block is padded with code 0 when the row is not a whole number of blocks.
 */
public enum CodePacking {
    FOUR_BIT(4, 128, 64),
    THREE_BIT(3, 512, 192);

    /** Lanes of a block: columns l, l + 16, ... share lane l. */
    public static final int LANES = 16;

    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int bits;
    private final int block;
    private final int blockBytes;

    CodePacking(int bits, int block, int blockBytes) {
        this.bits = bits;
        this.block = block;
        this.blockBytes = blockBytes;
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

    /** Columns per block. */
    public int block() {
        return block;
    }

    public int blockBytes() {
        return blockBytes;
    }

    /** Bytes of one row of {@code cols} codes. */
    public long rowBytes(int cols) {
        return (long) blockBytes * ((cols + block - 1) / block);
    }

    /** The code of column {@code c} of the row at byte {@code rowOff}. */
    public int get(MemorySegment seg, long rowOff, int c) {
        long at = rowOff + (long) blockBytes * (c / block) + 4L * (c % LANES); // lane's first word
        int t = c % block / LANES;
        if (this == FOUR_BIT) {
            return seg.get(INT_LE, at) >>> 4 * t & 15;
        }
        if (t < 30) {
            return seg.get(INT_LE, at + 64L * (t / 10)) >>> 3 * (t % 10) & 7;
        }
        int w1 = seg.get(INT_LE, at + 64);
        return t == 30 ? seg.get(INT_LE, at) >>> 30 | w1 >>> 28 & 4 : w1 >>> 31 | seg.get(INT_LE, at + 128) >>> 29 & 6;
    }

    /** Packs {@code codes[0..cols)} (each below 2^bits) as one row into {@code out[off..off + rowBytes(cols))}. */
    public void pack(byte[] codes, int cols, byte[] out, int off) {
        MemorySegment seg = MemorySegment.ofArray(out);
        Arrays.fill(out, off, off + (int) rowBytes(cols), (byte) 0);
        for (int c = 0; c < cols; c++) {
            int code = codes[c] & 0xFF;
            long at = off + (long) blockBytes * (c / block) + 4L * (c % LANES);
            int t = c % block / LANES;
            if (this == FOUR_BIT) {
                or(seg, at, code << 4 * t);
            } else if (t < 30) {
                or(seg, at + 64L * (t / 10), code << 3 * (t % 10));
            } else if (t == 30) {
                or(seg, at, (code & 3) << 30);
                or(seg, at + 64, (code >> 2 & 1) << 30);
            } else {
                or(seg, at + 64, (code & 1) << 31);
                or(seg, at + 128, (code >> 1 & 3) << 30);
            }
        }
    }

    private static void or(MemorySegment seg, long at, int bits) {
        seg.set(INT_LE, at, seg.get(INT_LE, at) | bits);
    }
}
