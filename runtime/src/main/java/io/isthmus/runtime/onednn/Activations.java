package io.isthmus.runtime.onednn;

import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.VectorSettings;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Moving activations between the Java heap and oneDNN's native buffers, split over the compute
 * pool (which is idle while oneDNN runs): f32 → bf16, f32 → u8 with a per-token scale, and the f32
 * result back (times the per-token scale). Buffers are per calling thread and grow on demand.
 */
final class Activations {
    private static final VectorSpecies<Float> F = VectorSettings.F;
    private static final VectorSpecies<Integer> I = VectorSettings.I;
    private static final int LANES = VectorSettings.LANES;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort BF16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    /** Elements per pool chunk for element-wise copies. */
    private static final int GRAIN = 8192;
    /** u8 code of 0: symmetric per-token quantization to [-127, 127], shifted to [1, 255]. */
    static final int U8_ZERO_POINT = 128;

    private static final ThreadLocal<Activations> LOCAL = ThreadLocal.withInitial(Activations::new);

    private MemorySegment src = MemorySegment.NULL;
    private MemorySegment dst = MemorySegment.NULL;
    private MemorySegment tile = MemorySegment.NULL;
    private float[] rowScales = new float[0];
    private float[] row = new float[0];

    static Activations local() {
        return LOCAL.get();
    }

    MemorySegment src(long bytes) {
        if (src.byteSize() < bytes) {
            src = Arena.ofAuto().allocate(bytes, 64);
        }
        return src;
    }

    MemorySegment dst(long bytes) {
        if (dst.byteSize() < bytes) {
            dst = Arena.ofAuto().allocate(bytes, 64);
        }
        return dst;
    }

    /** A weight tile dequantized for {@link DequantizedTiles}. */
    MemorySegment tile(long bytes) {
        if (tile.byteSize() < bytes) {
            tile = Arena.ofAuto().allocate(bytes, 64);
        }
        return tile;
    }

    /** One weight row in f32 while it is dequantized (per pool thread). */
    float[] rowBuffer(int k) {
        if (row.length < k) {
            row = new float[k];
        }
        return row;
    }

    float[] rowScales(int m) {
        if (rowScales.length < m) {
            rowScales = new float[m];
        }
        return rowScales;
    }

    /** {@code out[i] = bf16(x[xOff + i])} for {@code count} values, rounded to nearest even. */
    static void toBf16(ComputePool pool, float[] x, int xOff, int count, MemorySegment out) {
        pool.parallelFor(count, GRAIN, (from, to, worker) -> toBf16(x, xOff + from, to - from, out, 2L * from));
    }

    /** The same on the calling thread: {@code count} values from {@code x[xOff]} to bf16 at byte {@code outOff} of {@code out}. */
    static void toBf16(float[] x, int xOff, int count, MemorySegment out, long outOff) {
        int i = 0;
        for (; i + LANES <= count; i += LANES) {
            IntVector bits = FloatVector.fromArray(F, x, xOff + i).reinterpretAsInts();
            IntVector rounded = bits.add(bits.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7fff)
                    .lanewise(VectorOperators.LSHR, 16);
            rounded.convertShape(VectorOperators.I2S, VectorSettings.S, 0)
                    .intoMemorySegment(out, outOff + 2L * i, LE);
        }
        for (; i < count; i++) {
            out.set(BF16, outOff + 2L * i, io.isthmus.collectives.Bf16.fromFloat(x[xOff + i]));
        }
    }

    /**
     * Row i of the m × k matrix x as u8 codes {@code round(x / s_i) + 128}, with
     * {@code s_i = max|x_i| / 127} into {@code scales[i]} (1 for an all-zero row).
     */
    static void toU8(ComputePool pool, float[] x, int xOff, int m, int k, MemorySegment out, float[] scales) {
        pool.parallelFor(m, (from, to, worker) -> {
            for (int r = from; r < to; r++) {
                int base = xOff + r * k;
                FloatVector maxV = FloatVector.zero(F);
                int c = 0;
                for (; c + LANES <= k; c += LANES) {
                    maxV = maxV.max(FloatVector.fromArray(F, x, base + c).abs());
                }
                float max = maxV.reduceLanes(VectorOperators.MAX);
                for (; c < k; c++) {
                    max = Math.max(max, Math.abs(x[base + c]));
                }
                float scale = max > 0 ? max / 127f : 1f;
                float inv = 1f / scale;
                scales[r] = scale;
                long o = (long) r * k;
                c = 0;
                // x·inv ∈ [-127, 127]; + 128.5 then truncation rounds half up to [1, 255]
                for (; c + LANES <= k; c += LANES) {
                    FloatVector q = FloatVector.fromArray(F, x, base + c).mul(inv).add(U8_ZERO_POINT + 0.5f);
                    q.convertShape(VectorOperators.F2I, I, 0).convertShape(VectorOperators.I2B, VectorSettings.B, 0)
                            .intoMemorySegment(out, o + c, LE, VectorSettings.B.indexInRange(0, LANES));
                }
                for (; c < k; c++) {
                    out.set(ValueLayout.JAVA_BYTE, o + c, (byte) (int) (x[base + c] * inv + U8_ZERO_POINT + 0.5f));
                }
            }
        });
    }

    /** y (m × n from yOff) = the f32 result in {@code in}, each row times {@code rowScales[i]} when given. */
    static void copyOut(ComputePool pool, MemorySegment in, int m, int n, float[] y, int yOff, float[] rowScales) {
        pool.parallelFor(m * n, GRAIN, (from, to, worker) -> {
            if (rowScales == null) {
                MemorySegment.copy(in, ValueLayout.JAVA_FLOAT, 4L * from, y, yOff + from, to - from);
                return;
            }
            for (int i = from; i < to; ) {
                int row = i / n;
                int end = Math.min(to, (row + 1) * n);
                float s = rowScales[row];
                int j = i;
                for (; j + LANES <= end; j += LANES) {
                    FloatVector.fromMemorySegment(F, in, 4L * j, LE).mul(s).intoArray(y, yOff + j);
                }
                for (; j < end; j++) {
                    y[yOff + j] = in.get(ValueLayout.JAVA_FLOAT, 4L * j) * s;
                }
                i = end;
            }
        });
    }
}
