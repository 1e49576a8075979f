package io.isthmus.runtime.onednn;

import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.WeightMatrix;

import java.lang.foreign.MemorySegment;

/**
 * Any weight format through oneDNN's bf16 matmul: tile after tile of {@link #tileRows} output rows
 * is dequantized to bf16 on the compute pool (the format's own {@code decodeRow}, then a
 * vectorized rounding) and multiplied by oneDNN into its columns of the result. The alternative to
 * weight decompression (and the only route for codebook and FP6 formats, DESIGN.md §5).
 *
 * <p>The tile is handed over plain (row after row of W), not reordered into the blocked layout the
 * bf16 path keeps: oneDNN then packs it inside the call, and that cost less than a reorder primitive
 * per tile (an 11008×4096 Q4_0 matrix on the 2-core VM, with 512-row tiles and the scalar dequantizer
 * then, M = 32: 62–67 ms plain, 91–130 ms with the reorder; M = 512: 158–167 against 163–197 ms).
 */
final class DequantizedTiles extends PreparedWeights {
    /**
     * Bytes of one bf16 tile: 2048 rows at K = 4096, 704 at K = 11008. Each tile costs a hand-off to
     * the pool and a wake-up of oneDNN's threads; on the AMX machine 512-row tiles (4 MiB) left a
     * 2-layer 7B-shaped q4_0 prefill of 512 tokens at 1.2–2.6× the bf16 one, 2048-row tiles at
     * 1.25–1.75× (runs of one JVM each, the machine's own speed moving by 2× between them).
     */
    static final long TILE_BYTES = 16L << 20;

    /** Output rows per tile for K inputs: a multiple of 64, at least 64. */
    static int tileRows(int k) {
        return (int) Math.max(64, TILE_BYTES / (2L * k) / 64 * 64);
    }

    private record PlanKey(int m, int rows, int n, int k) {
    }

    private final WeightMatrix base;
    private final int tileRows;

    DequantizedTiles(OneDnn dnn, WeightMatrix base) {
        super(dnn, base.rows(), base.cols());
        this.base = base;
        this.tileRows = Math.min(tileRows(k), n);
    }

    @Override
    String path() {
        return "tiles-bf16";
    }

    @Override
    MatmulPlan plan(int m) {
        return plan(m, tileRows);
    }

    /** m rows × one tile of {@code rows} outputs, written with the whole result's row stride. */
    private MatmulPlan plan(int m, int rows) {
        return dnn.cache().get(new PlanKey(m, rows, n, k), () -> {
            MemoryDesc src = MemoryDesc.rowMajor(dnn, m, k, DataType.BF16);
            MemoryDesc dst = MemoryDesc.strided(dnn, new long[] {m, rows}, DataType.F32, new long[] {n, 1});
            try (MemoryDesc tile = MemoryDesc.columnMajor(dnn, k, rows, DataType.BF16)) {
                return new MatmulPlan(Primitive.matmul(dnn, src, tile, null, dst, null), src, dst);
            }
        });
    }

    @Override
    long sourceBytes(int m) {
        return 2L * m * k;
    }

    @Override
    void executeNative(ComputePool pool, int m, MemorySegment src, MemorySegment dst) {
        MemorySegment tile = Activations.local().tile(2L * tileRows * k);
        for (int r0 = 0; r0 < n; r0 += tileRows) {
            int rows = Math.min(tileRows, n - r0);
            dequantize(pool, r0, rows, tile);
            try (MemoryDesc tileDesc = MemoryDesc.columnMajor(dnn, k, rows, DataType.BF16);
                 DnnlMemory weights = DnnlMemory.wrap(dnn, tileDesc, tile)) {
                execute(pool, plan(m, rows), src, dst.asSlice(4L * r0), new int[] {Dnnl.ARG_WEIGHTS},
                        new DnnlMemory[] {weights});
            }
        }
    }

    /** Rows {@code [r0, r0 + rows)} of the weights as bf16 into {@code tile}, row after row, on the pool. */
    private void dequantize(ComputePool pool, int r0, int rows, MemorySegment tile) {
        pool.parallelFor(rows, (from, to, worker) -> {
            float[] row = Activations.local().rowBuffer(k);
            for (int r = from; r < to; r++) {
                base.decodeRow(r0 + r, row, 0);
                Activations.toBf16(row, 0, k, tile, 2L * r * k);
            }
        });
    }

    @Override
    void multiply(ComputePool pool, float[] x, int xOff, int m, float[] y, int yOff) {
        multiplyFromBf16(pool, x, xOff, m, y, yOff);
    }
}
