package io.isthmus.runtime.onednn;

import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.Quantize;
import io.isthmus.runtime.kernel.TensorMatrix;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.quant.uniform.Int8Format;
import io.isthmus.runtime.tensor.GgmlType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The oneDNN paths against a float64 product of the unquantized matrices, on random data. */
class OneDnnMatmulTest {
    private static ComputePool pool;
    private static Arena arena;

    @BeforeAll
    static void open() {
        pool = new ComputePool(2);
        arena = Arena.ofShared();
        OneDnnAssumptions.loaded(pool);
    }

    @AfterAll
    static void close() {
        if (pool != null) {
            pool.close();
            arena.close();
        }
    }

    static float[] random(Random r, int count, double scale) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return v;
    }

    /** ‖y − ref‖_F / ‖ref‖_F with ref = x · Wᵀ in float64. */
    static double relativeError(float[] x, float[] w, int m, int n, int k, float[] y) {
        double err = 0, norm = 0;
        for (int i = 0; i < m; i++) {
            for (int r = 0; r < n; r++) {
                double s = 0;
                for (int c = 0; c < k; c++) {
                    s += (double) x[i * k + c] * w[r * k + c];
                }
                double d = y[i * n + r] - s;
                err += d * d;
                norm += s * s;
            }
        }
        return Math.sqrt(err / norm);
    }

    private static void check(WeightMatrix base, float[] w, int n, int k, double tolerance, String path) {
        check(OneDnnMatrices.wrap(base, pool, 1).orElseThrow(), w, n, k, tolerance, path);
    }

    private static void check(OneDnnMatrix matrix, float[] w, int n, int k, double tolerance, String path) {
        assertEquals(path, matrix.path());
        Random r = new Random(11);
        for (int m : new int[] {1, 7, 64}) {
            float[] x = random(r, m * k + 5, 1.0);
            float[] y = new float[m * n + 3];
            matrix.matmulOneDnn(pool, x, 5, m, y, 3);
            float[] xs = java.util.Arrays.copyOfRange(x, 5, 5 + m * k);
            float[] ys = java.util.Arrays.copyOfRange(y, 3, 3 + m * n);
            double e = relativeError(xs, w, m, n, k, ys);
            assertTrue(e <= tolerance, path + " m=" + m + ": relative Frobenius error " + e + " > " + tolerance
                    + " (" + matrix.implementation(m) + ")");
            assertEquals(0f, y[0], "wrote before yOff");
        }
    }

    @Test
    void bf16MatchesFloat64Reference() {
        OneDnnAssumptions.bf16(pool);
        int n = 96, k = 320;
        float[] w = random(new Random(1), n * k, 0.05);
        TensorMatrix bf16 = TensorMatrix.of(Quantize.quantize(arena, "w", GgmlType.BF16, w, 0, n, k));
        check(bf16, w, n, k, 1e-2, "bf16");
    }

    @Test
    void dynamicInt8MatchesFloat64Reference() {
        OneDnnAssumptions.exactInt8(pool);
        int n = 80, k = 256;
        float[] w = random(new Random(2), n * k, 0.05);
        WeightMatrix int8 = new Int8Format().quantize("w", w, n, k, io.isthmus.runtime.config.FormatSpec.parse("int8"), null, arena);
        check(int8, w, n, k, 2e-2, "int8");
    }

    @Test
    void int8WeightDecompressionMatchesFloat64Reference() {
        OneDnnAssumptions.bf16(pool);
        int n = 80, k = 256;
        float[] w = random(new Random(6), n * k, 0.05);
        var int8 = (io.isthmus.runtime.quant.uniform.Int8Matrix) new Int8Format().quantize("w", w, n, k,
                io.isthmus.runtime.config.FormatSpec.parse("int8"), null, arena);
        check(OneDnnMatrices.decompressing(int8, OneDnnMatrices.integerWeights(int8), pool, 1).orElseThrow(), w, n, k,
                1e-2, "decompress-s8-g256");
    }

    /** u4 codes with a zero point and a scale per group of 32: against the float64 product of the weights they encode. */
    @Test
    void groupedU4WeightDecompressionMatchesFloat64Reference() {
        OneDnnAssumptions.bf16(pool);
        int n = 64, k = 128, group = 32, groups = k / group;
        Random r = new Random(7);
        java.lang.foreign.MemorySegment codes = arena.allocate((long) n * k / 2);
        java.lang.foreign.MemorySegment scales = arena.allocate(4L * n * groups);
        java.lang.foreign.MemorySegment zeros = arena.allocate((long) n * groups);
        float[] w = new float[n * k];
        for (int row = 0; row < n; row++) {
            for (int g = 0; g < groups; g++) {
                float scale = 0.01f + r.nextFloat() * 0.02f;
                int zero = 6 + r.nextInt(4);
                scales.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, (long) row * groups + g, scale);
                zeros.set(java.lang.foreign.ValueLayout.JAVA_BYTE, (long) row * groups + g, (byte) zero);
                for (int c = g * group; c < (g + 1) * group; c++) {
                    int q = r.nextInt(16);
                    long byteIndex = ((long) row * k + c) / 2;
                    byte old = codes.get(java.lang.foreign.ValueLayout.JAVA_BYTE, byteIndex);
                    codes.set(java.lang.foreign.ValueLayout.JAVA_BYTE, byteIndex,
                            (byte) (c % 2 == 0 ? (old & 0xf0) | q : (old & 0x0f) | (q << 4)));
                    w[row * k + c] = (q - zero) * scale;
                }
            }
        }
        IntegerWeights u4 = new IntegerWeights(n, k, codes, DataType.U4, group, scales, zeros);
        TensorMatrix plain = TensorMatrix.of(Quantize.quantize(arena, "w", GgmlType.F32, w, 0, n, k));
        check(OneDnnMatrices.decompressing(plain, u4, pool, 1).orElseThrow(), w, n, k, 1e-2, "decompress-u4-g32");
    }

    @Test
    void dequantizedTilesMatchFloat64Reference() {
        OneDnnAssumptions.bf16(pool);
        int k = 8192;
        int n = DequantizedTiles.tileRows(k) + 77; // a full tile and a partial one
        float[] w = random(new Random(8), n * k, 0.05);
        TensorMatrix q8 = TensorMatrix.of(Quantize.quantize(arena, "w", GgmlType.Q8_0, w, 0, n, k));
        check(OneDnnMatrices.dequantizingTiles(q8, pool, 1).orElseThrow(), w, n, k, 1.5e-2, "tiles-bf16");
    }

    /**
     * What binding a model gives each format: F32/F16 (repacked or not) stay on the Vector API, BF16 and int8 get their
     * reordered paths, every other format dequantized tiles from {@code tilesMinRows} rows on, whose
     * product matches the float64 one of the weights the format encodes. Where oneDNN cannot compute
     * bf16 or exact int8 on this CPU (plain AVX2), those matrices stay on the Vector API.
     */
    @Test
    void prefillPathPerFormat() {
        int n = 80, k = 256;
        float[] w = random(new Random(9), n * k, 0.05);
        OneDnn dnn = OneDnn.get(pool.cpus()).orElseThrow();
        CpuIsa isa = dnn.isa();
        for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
            TensorMatrix plain = TensorMatrix.of(Quantize.quantize(arena, "w", type, w, 0, n, k));
            assertEquals(plain, OneDnnMatrices.forPrefill(plain, pool), type + " stays on the Vector API");
        }
        WeightMatrix paired = io.isthmus.runtime.kernel.F16PairMatrix.of(Quantize.quantize(arena, "w", GgmlType.F16, w, 0, n, k), arena);
        assertEquals(paired, OneDnnMatrices.forPrefill(paired, pool), "F16 repacked at load stays on the Vector API");
        TensorMatrix bf16 = TensorMatrix.of(Quantize.quantize(arena, "w", GgmlType.BF16, w, 0, n, k));
        WeightMatrix int8 = new Int8Format().quantize("w", w, n, k, io.isthmus.runtime.config.FormatSpec.parse("int8"), null, arena);
        if (dnn.hasBf16Matmul()) {
            assertEquals("bf16", ((OneDnnMatrix) OneDnnMatrices.forPrefill(bf16, pool)).path());
        } else {
            assertEquals(bf16, OneDnnMatrices.forPrefill(bf16, pool), "no bf16 matmul on " + isa.label() + ": the Vector API");
        }
        if (isa.hasExactInt8()) {
            assertEquals("int8", ((OneDnnMatrix) OneDnnMatrices.forPrefill(int8, pool)).path());
        } else {
            assertEquals(int8, OneDnnMatrices.forPrefill(int8, pool), "no VNNI on " + isa.label() + ": the Vector API");
        }
        java.util.List<WeightMatrix> quantized = new java.util.ArrayList<>();
        quantized.add(TensorMatrix.of(Quantize.quantize(arena, "w", GgmlType.Q4_0, w, 0, n, k)));
        quantized.add(TensorMatrix.of(Quantize.quantize(arena, "w", GgmlType.Q8_0, w, 0, n, k)));
        for (String spec : new String[] {"nf4-g64", "lut3+sparse0.45", "fp6"}) {
            var format = io.isthmus.runtime.config.FormatSpec.parse(spec);
            quantized.add(io.isthmus.runtime.quant.PackedFormats.forSpec(format).quantize("w", w, n, k, format, null, arena));
        }
        int m = OneDnnMatrices.tilesMinRows(isa);
        Random r = new Random(10);
        for (WeightMatrix q : quantized) {
            if (!dnn.hasBf16Matmul()) {
                assertEquals(q, OneDnnMatrices.forPrefill(q, pool), q.format() + " without bf16 matmul: the Vector API");
                continue;
            }
            OneDnnMatrix bound = (OneDnnMatrix) OneDnnMatrices.forPrefill(q, pool);
            assertEquals("tiles-bf16", bound.path(), q.format());
            float[] x = random(r, m * k, 1.0);
            float[] y = new float[m * n];
            assertEquals(false, bound.matmulWhole(pool, x, 0, m - 1, y, 0), q.format() + " below tilesMinRows");
            assertEquals(true, bound.matmulWhole(pool, x, 0, m, y, 0), q.format() + " at tilesMinRows");
            double e = relativeError(x, q.dequantizeAll(), m, n, k, y);
            assertTrue(e <= 1e-2, q.format() + ": relative Frobenius error " + e + " against its own weights in float64");
        }
    }

    @Test
    void belowMinRowsTheVectorPathRuns() {
        OneDnnAssumptions.bf16(pool);
        int n = 32, k = 64;
        float[] w = random(new Random(3), n * k, 0.05);
        TensorMatrix bf16 = TensorMatrix.of(Quantize.quantize(arena, "w", GgmlType.BF16, w, 0, n, k));
        OneDnnMatrix matrix = OneDnnMatrices.wrap(bf16, pool, 16).orElseThrow();
        float[] x = random(new Random(4), 16 * k, 1);
        float[] y = new float[16 * n];
        assertEquals(false, matrix.matmulWhole(pool, x, 0, 15, y, 0));
        assertEquals(true, matrix.matmulWhole(pool, x, 0, 16, y, 0));
    }
}
