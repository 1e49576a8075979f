package io.isthmus.runtime.kernel;

import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Scalar reference dequantization of every weight type the kernels support, written for
 * readability: it is what tests compare the vector kernels against, and the path used for
 * embedding lookups and slow fallbacks. Layouts are ggml's (little-endian).
 */
public final class Dequantize {

    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Dequantize() {
    }

    /** Whether {@link #row} handles {@code type}. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K -> true;
            default -> false;
        };
    }

    /** Writes the {@code t.cols()} values of row {@code row} of {@code t} to {@code out[off..]}. */
    public static void row(Tensor t, int row, float[] out, int off) {
        if (row < 0 || row >= t.rows()) {
            throw new IndexOutOfBoundsException("row " + row + " of " + t);
        }
        int k = t.cols();
        MemorySegment seg = t.data();
        long base = row * t.rowBytes();
        GgmlType type = t.type();
        switch (type) {
            case F32 -> {
                for (int c = 0; c < k; c++) {
                    out[off + c] = seg.get(FLOAT_LE, base + 4L * c);
                }
            }
            case F16 -> {
                for (int c = 0; c < k; c++) {
                    out[off + c] = f16(seg, base + 2L * c);
                }
            }
            case BF16 -> {
                for (int c = 0; c < k; c++) {
                    out[off + c] = bf16(seg, base + 2L * c);
                }
            }
            case Q8_0, Q4_0, Q4_K, Q6_K -> {
                int bs = type.blockSize();
                float[] block = new float[bs];
                for (int b = 0; b * bs < k; b++) {
                    block(type, seg, base + (long) b * type.blockBytes(), block, 0);
                    int count = Math.min(bs, k - b * bs); // the last block may be padding
                    System.arraycopy(block, 0, out, off + b * bs, count);
                }
            }
            default -> throw new UnsupportedOperationException("no dequantizer for " + type + " (" + t.name() + ")");
        }
    }

    /** All values of {@code t}, row after row. */
    public static float[] all(Tensor t) {
        float[] out = new float[Math.toIntExact(t.elementCount())];
        for (int r = 0; r < t.rows(); r++) {
            row(t, r, out, r * t.cols());
        }
        return out;
    }

    /** Dequantizes the whole block of a quantized {@code type} at byte {@code at} to {@code out[off..off+blockSize)}. */
    public static void block(GgmlType type, MemorySegment seg, long at, float[] out, int off) {
        switch (type) {
            case Q8_0 -> q8_0(seg, at, out, off);
            case Q4_0 -> q4_0(seg, at, out, off);
            case Q4_K -> q4_K(seg, at, out, off);
            case Q6_K -> q6_K(seg, at, out, off);
            default -> throw new UnsupportedOperationException("not a supported block type: " + type);
        }
    }

    /** Q8_0: f16 scale d, then 32 signed bytes q; value = q·d. */
    static void q8_0(MemorySegment seg, long at, float[] out, int off) {
        float d = f16(seg, at);
        for (int j = 0; j < 32; j++) {
            out[off + j] = d * seg.get(ValueLayout.JAVA_BYTE, at + 2 + j);
        }
    }

    /** Q4_0: f16 scale d, then 16 bytes; byte j holds element j (low nibble) and j+16 (high); value = (q-8)·d. */
    static void q4_0(MemorySegment seg, long at, float[] out, int off) {
        float d = f16(seg, at);
        for (int j = 0; j < 16; j++) {
            int b = seg.get(ValueLayout.JAVA_BYTE, at + 2 + j) & 0xFF;
            out[off + j] = ((b & 0x0F) - 8) * d;
            out[off + j + 16] = ((b >>> 4) - 8) * d;
        }
    }

    /**
     * Q4_K: 256 values as 8 sub-blocks of 32. Layout: d (f16), dmin (f16), 12 bytes packing eight
     * 6-bit scales and eight 6-bit mins, 128 bytes of nibbles. Each group of 64 values takes 32
     * bytes: low nibbles are its first sub-block, high nibbles its second. value = d·sc·q − dmin·m.
     */
    static void q4_K(MemorySegment seg, long at, float[] out, int off) {
        float d = f16(seg, at);
        float dmin = f16(seg, at + 2);
        long scales = at + 4;
        long qs = at + 16;
        for (int group = 0; group < 4; group++) {
            int sub = 2 * group;
            float d1 = d * scaleK4(seg, scales, sub), m1 = dmin * minK4(seg, scales, sub);
            float d2 = d * scaleK4(seg, scales, sub + 1), m2 = dmin * minK4(seg, scales, sub + 1);
            for (int l = 0; l < 32; l++) {
                int b = seg.get(ValueLayout.JAVA_BYTE, qs + 32L * group + l) & 0xFF;
                out[off + 64 * group + l] = d1 * (b & 0x0F) - m1;
                out[off + 64 * group + 32 + l] = d2 * (b >>> 4) - m2;
            }
        }
    }

    /**
     * The 6-bit scale of sub-block j (0..7) of a Q4_K/Q5_K block: sub-blocks 0-3 keep theirs in the
     * low 6 bits of bytes 0-3; 4-7 in the low nibble of bytes 8-11 plus, as bits 4-5, the top two
     * bits of bytes 0-3.
     */
    static int scaleK4(MemorySegment seg, long scales, int j) {
        if (j < 4) {
            return u8(seg, scales + j) & 63;
        }
        return (u8(seg, scales + j + 4) & 0x0F) | ((u8(seg, scales + j - 4) >>> 6) << 4);
    }

    /** The 6-bit min of sub-block j: 0-3 in bytes 4-7; 4-7 in the high nibble of bytes 8-11 plus the top bits of bytes 4-7. */
    static int minK4(MemorySegment seg, long scales, int j) {
        if (j < 4) {
            return u8(seg, scales + j + 4) & 63;
        }
        return (u8(seg, scales + j + 4) >>> 4) | ((u8(seg, scales + j) >>> 6) << 4);
    }

    /**
     * Q6_K: 256 values as 16 sub-blocks of 16. Layout: ql[128] (low 4 bits), qh[64] (high 2 bits),
     * scales int8[16], d (f16). Each half of 128 values uses 64 bytes of ql and 32 of qh: for l in
     * 0..31 the values l, l+32, l+64, l+96 take the low nibble of ql[l], of ql[l+32], the high
     * nibble of ql[l], of ql[l+32], and bits 0-1, 2-3, 4-5, 6-7 of qh[l]. value = d·scale·(q − 32).
     */
    static void q6_K(MemorySegment seg, long at, float[] out, int off) {
        long ql = at, qh = at + 128, sc = at + 192;
        float d = f16(seg, at + 208);
        for (int half = 0; half < 2; half++) {
            long l0 = ql + 64L * half, h0 = qh + 32L * half, s0 = sc + 8L * half;
            int o = off + 128 * half;
            for (int l = 0; l < 32; l++) {
                int a = u8(seg, l0 + l), b = u8(seg, l0 + l + 32), h = u8(seg, h0 + l);
                int q1 = ((a & 0x0F) | ((h & 3) << 4)) - 32;
                int q2 = ((b & 0x0F) | (((h >>> 2) & 3) << 4)) - 32;
                int q3 = ((a >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                int q4 = ((b >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                int is = l / 16;
                out[o + l] = d * seg.get(ValueLayout.JAVA_BYTE, s0 + is) * q1;
                out[o + l + 32] = d * seg.get(ValueLayout.JAVA_BYTE, s0 + is + 2) * q2;
                out[o + l + 64] = d * seg.get(ValueLayout.JAVA_BYTE, s0 + is + 4) * q3;
                out[o + l + 96] = d * seg.get(ValueLayout.JAVA_BYTE, s0 + is + 6) * q4;
            }
        }
    }

    static float f16(MemorySegment seg, long at) {
        return Float.float16ToFloat(seg.get(SHORT_LE, at));
    }

    static float bf16(MemorySegment seg, long at) {
        return Float.intBitsToFloat((seg.get(SHORT_LE, at) & 0xFFFF) << 16);
    }

    private static int u8(MemorySegment seg, long at) {
        return seg.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }
}
