package io.isthmus.runtime.kernel;

import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/**
 * Test-side encoders for Q4_K and Q6_K blocks, written from the ggml block layouts independently
 * of {@link Dequantize}: they pack chosen scales and codes and report the values those blocks
 * stand for, so the dequantizer's bit handling is checked against intent, not against itself.
 */
final class KQuantBlocks {

    private KQuantBlocks() {
    }

    /** Packs a Q4_K block at {@code at}: scales/mins 0..63, codes 0..15; returns the 256 intended values. */
    static float[] q4K(MemorySegment seg, long at, float d, float dmin, int[] sc, int[] mn, int[] q) {
        seg.set(Dequantize.SHORT_LE, at, Float.floatToFloat16(d));
        seg.set(Dequantize.SHORT_LE, at + 2, Float.floatToFloat16(dmin));
        byte[] s = new byte[12];
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                s[j] |= (byte) (sc[j] & 63);
                s[j + 4] |= (byte) (mn[j] & 63);
            } else {
                s[j + 4] |= (byte) ((sc[j] & 15) | (mn[j] & 15) << 4);
                s[j - 4] |= (byte) ((sc[j] >> 4) << 6);
                s[j] |= (byte) ((mn[j] >> 4) << 6);
            }
        }
        MemorySegment.copy(s, 0, seg, ValueLayout.JAVA_BYTE, at + 4, 12);
        float dh = Float.float16ToFloat(Float.floatToFloat16(d));
        float mh = Float.float16ToFloat(Float.floatToFloat16(dmin));
        float[] v = new float[256];
        for (int i = 0; i < 256; i++) {
            int sub = i / 32;        // sub-block of 32 values
            int group = i / 64;      // 32 bytes per 64 values
            int byteIdx = group * 32 + i % 32;
            boolean high = sub % 2 == 1;
            byte old = seg.get(ValueLayout.JAVA_BYTE, at + 16 + byteIdx);
            seg.set(ValueLayout.JAVA_BYTE, at + 16 + byteIdx,
                    (byte) (high ? (old & 0x0F) | q[i] << 4 : (old & 0xF0) | q[i]));
            v[i] = dh * sc[sub] * q[i] - mh * mn[sub];
        }
        return v;
    }

    /** Packs a Q6_K block: codes 0..63 (value d·scale·(q−32)), 16 int8 scales; returns the intended values. */
    static float[] q6K(MemorySegment seg, long at, float d, int[] scales, int[] q) {
        float dh = Float.float16ToFloat(Float.floatToFloat16(d));
        float[] v = new float[256];
        for (int i = 0; i < 256; i++) {
            int half = i / 128, j = i % 128;
            int quarter = j / 32, l = j % 32; // value l + 32·quarter of this half
            long ql = at + 64L * half + l + (quarter % 2 == 1 ? 32 : 0);
            long qh = at + 128 + 32L * half + l;
            int lo = q[i] & 15, hi = q[i] >> 4;
            byte b = seg.get(ValueLayout.JAVA_BYTE, ql);
            seg.set(ValueLayout.JAVA_BYTE, ql, (byte) (quarter >= 2 ? (b & 0x0F) | lo << 4 : (b & 0xF0) | lo));
            byte h = seg.get(ValueLayout.JAVA_BYTE, qh);
            seg.set(ValueLayout.JAVA_BYTE, qh, (byte) (h | hi << (2 * quarter)));
            v[i] = dh * scales[i / 16] * (q[i] - 32);
        }
        for (int s = 0; s < 16; s++) {
            seg.set(ValueLayout.JAVA_BYTE, at + 192 + s, (byte) scales[s]);
        }
        seg.set(Dequantize.SHORT_LE, at + 208, Float.floatToFloat16(d));
        return v;
    }

    /** Random blocks; the intended values of all rows go to {@code values} when not null. */
    static Tensor randomTensor(Arena arena, GgmlType type, int rows, int cols, Random rnd, float[] values) {
        int blocks = Math.ceilDiv(cols, 256); // a partial last block is stored whole
        MemorySegment seg = arena.allocate(type.rowBytes(cols) * rows, 64); // zeroed
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < blocks; b++) {
                long at = r * type.rowBytes(cols) + (long) b * type.blockBytes();
                int[] q = new int[256];
                float[] v;
                if (type == GgmlType.Q4_K) {
                    int[] sc = new int[8], mn = new int[8];
                    for (int j = 0; j < 8; j++) {
                        sc[j] = rnd.nextInt(64);
                        mn[j] = rnd.nextInt(64);
                    }
                    for (int i = 0; i < 256; i++) {
                        q[i] = rnd.nextInt(16);
                    }
                    v = q4K(seg, at, 0.001f + rnd.nextFloat() * 0.01f, rnd.nextFloat() * 0.01f, sc, mn, q);
                } else if (type == GgmlType.Q6_K) {
                    int[] sc = new int[16];
                    for (int j = 0; j < 16; j++) {
                        sc[j] = rnd.nextInt(256) - 128;
                    }
                    for (int i = 0; i < 256; i++) {
                        q[i] = rnd.nextInt(64);
                    }
                    v = q6K(seg, at, 0.0005f + rnd.nextFloat() * 0.001f, sc, q);
                } else {
                    throw new IllegalArgumentException(type.toString());
                }
                if (values != null) {
                    System.arraycopy(v, 0, values, r * cols + b * 256, Math.min(256, cols - b * 256));
                }
            }
        }
        return new Tensor("w", type, new long[] {cols, rows}, seg);
    }

    static Tensor randomTensor(Arena arena, GgmlType type, int rows, int cols, Random rnd) {
        return randomTensor(arena, type, rows, cols, rnd, null);
    }
}
