package io.isthmus.runtime.onednn;

import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.F16PairMatrix;
import io.isthmus.runtime.kernel.TensorMatrix;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.quant.uniform.Int8Matrix;
import io.isthmus.runtime.tensor.GgmlType;

import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Gives matrices a oneDNN path for prefill when they are bound for compute: BF16 tensors
 * (bf16 × bf16) and {@code int8} matrices (dynamic u8 × s8), whose weights are reordered into
 * oneDNN's layout there and then, on the binding thread (a rank's own, so the copy is NUMA-local);
 * and every quantized format (GGUF blocks, the packed formats of {@code quant}) through
 * {@link DequantizedTiles}, which keeps no copy. F32 and F16 tensors (F16 repacked at load too)
 * stay on the Vector API (bf16 would round their weights), as does every matrix when oneDNN is
 * unavailable or switched off, and every bf16 or int8 path on a CPU where oneDNN cannot compute it
 * exactly ({@link OneDnn#hasBf16Matmul}, {@link CpuIsa#hasExactInt8}; plain AVX2 has neither).
 *
 * <p>Settings (system property, else environment): {@code isthmus.onednn} /
 * {@code ISTHMUS_ONEDNN} = {@code off} disables the paths; {@code isthmus.onednn.min-rows} /
 * {@code ISTHMUS_ONEDNN_MIN_ROWS} is the smallest m that goes through oneDNN for bf16 and int8
 * (default {@link #AMX_MIN_ROWS} where oneDNN runs on AMX, else {@link #DEFAULT_MIN_ROWS}; decode of
 * one sequence, m = 1, stays on the Vector API GEMV unless this is 1);
 * {@code isthmus.onednn.tiles-min-rows} / {@code ISTHMUS_ONEDNN_TILES_MIN_ROWS} the same for the
 * dequantized tiles (default {@link #AMX_TILES_MIN_ROWS} on AMX, else {@link #DEFAULT_TILES_MIN_ROWS}),
 * which dequantize the whole matrix once per product and so need more rows to pay for it.
 */
public final class OneDnnMatrices {
    private static final System.Logger LOG = System.getLogger(OneDnnMatrices.class.getName());
    private static final Set<PreparedKind> SAID = ConcurrentHashMap.newKeySet(); // kinds whose absence was logged

    /**
     * Below this many rows the Vector API kernels win or tie (bench-onednn: M = 1 and 8 are
     * bandwidth-bound GEMV/GEMM where oneDNN's per-call conversion and thread wake-up cost more).
     */
    public static final int DEFAULT_MIN_ROWS = 16;

    /**
     * With AMX, 8 rows (8 sequences decoded together) already go faster through oneDNN: on the
     * 16-core AMX Xeon, a 7B-shaped bf16 model decoded 8 sequences in 275 ms per step through
     * oneDNN against 418 ms through the Vector API kernels, which read the weights once per 4
     * rows (examples/bench/batched-decode.sh with ISTHMUS_ONEDNN_MIN_ROWS=8 and unset, README).
     */
    public static final int AMX_MIN_ROWS = 8;

    /**
     * Dequantized tiles pay one decoding pass over the whole matrix per product. On the 2-core VM, with
     * the vector row decoders, an 11008×4096 Q4_0 product is faster as tiles from M = 16–32 on, but
     * prose-llama-35m's small matrices (512–1536 wide) still lost at 32 and 64 prompt tokens with two
     * threads there: each product wakes the pool's parked worker and oneDNN's sleeping thread.
     */
    public static final int DEFAULT_TILES_MIN_ROWS = 128;

    /**
     * On the AMX machine tiles beat the Q4_0 Vector API kernel from M = 16 (K = 4096, N = 4096:
     * 342 against 292 GFLOP/s; N = 11008 even) and lose at M = 8 (182–214 against 251–322).
     */
    public static final int AMX_TILES_MIN_ROWS = 16;

    private OneDnnMatrices() {
    }

    /** {@code w} with a oneDNN prefill path when one applies, else {@code w}. */
    public static WeightMatrix forPrefill(WeightMatrix w, ComputePool pool) {
        if (!enabled()) {
            return w;
        }
        PreparedKind kind = kindOf(w);
        if (kind == null) {
            return w;
        }
        return OneDnn.get(pool.cpus()).filter(d -> computes(d, kind)).<WeightMatrix>map(d -> new OneDnnMatrix(w,
                prepare(d, w, kind), kind == PreparedKind.TILES ? tilesMinRows(d.isa()) : minRows(d.isa()))).orElse(w);
    }

    /**
     * The oneDNN path of {@code w} regardless of settings (benchmarks, tests); empty when none applies,
     * oneDNN is missing, or it cannot compute that path on this CPU.
     */
    public static Optional<OneDnnMatrix> wrap(WeightMatrix w, ComputePool pool, int minRows) {
        PreparedKind kind = kindOf(w);
        if (kind == null) {
            return Optional.empty();
        }
        return OneDnn.get(pool.cpus()).filter(d -> computes(d, kind)).map(d -> new OneDnnMatrix(w, prepare(d, w, kind), minRows));
    }

    /**
     * {@code base} with oneDNN's weight decompression of {@code codes} (bf16 activations × integer
     * weights widened in the kernel); for formats whose layout oneDNN reads (grouped s8/u4/s4).
     * Empty where oneDNN is missing or has no bf16 matmul.
     */
    public static Optional<OneDnnMatrix> decompressing(WeightMatrix base, IntegerWeights codes, ComputePool pool, int minRows) {
        return OneDnn.get(pool.cpus()).filter(OneDnn::hasBf16Matmul)
                .map(d -> new OneDnnMatrix(base, new DecompressedWeights(d, codes), minRows));
    }

    /**
     * {@code base} through oneDNN's bf16 matmul one dequantized tile of output rows at a time; for any
     * format. Empty where oneDNN is missing or has no bf16 matmul.
     */
    public static Optional<OneDnnMatrix> dequantizingTiles(WeightMatrix base, ComputePool pool, int minRows) {
        return OneDnn.get(pool.cpus()).filter(OneDnn::hasBf16Matmul)
                .map(d -> new OneDnnMatrix(base, new DequantizedTiles(d, base), minRows));
    }

    /**
     * Whether {@code dnn} computes {@code kind} on this CPU, said once per kind when it does not: bf16
     * (BF16 weights and the bf16 tiles) needs a CPU with bf16 matmuls, int8 one with exact u8 × s8 sums.
     */
    private static boolean computes(OneDnn dnn, PreparedKind kind) {
        String missing = switch (kind) {
            case BF16, TILES -> dnn.hasBf16Matmul() ? null : "has no bf16 matmul";
            case INT8 -> dnn.isa().hasExactInt8() ? null : "has no exact int8 products (no VNNI)";
        };
        if (missing != null && SAID.add(kind)) {
            LOG.log(System.Logger.Level.WARNING, "oneDNN " + dnn.version() + " on " + dnn.isa().label() + " " + missing
                    + "; prefill of " + kind.weights + " weights runs on the Vector API kernels");
        }
        return missing == null;
    }

    /** An int8 matrix as oneDNN's decompression reads it: s8 codes, one group per row. */
    public static IntegerWeights integerWeights(Int8Matrix m) {
        return new IntegerWeights(m.rows(), m.cols(), m.codes(), DataType.S8, m.cols(), m.scales(), null);
    }

    private enum PreparedKind {
        BF16("bf16"), INT8("int8"), TILES("quantized");

        final String weights;

        PreparedKind(String weights) {
            this.weights = weights;
        }
    }

    private static PreparedKind kindOf(WeightMatrix w) {
        if (w instanceof TensorMatrix t) {
            return switch (t.type()) {
                case BF16 -> PreparedKind.BF16;
                case F32, F16 -> null;
                default -> PreparedKind.TILES;
            };
        }
        if (w instanceof F16PairMatrix) { // an F16 tensor repacked at load: as F16 tensors
            return null;
        }
        return w instanceof Int8Matrix ? PreparedKind.INT8 : PreparedKind.TILES;
    }

    private static PreparedWeights prepare(OneDnn dnn, WeightMatrix w, PreparedKind kind) {
        return switch (kind) {
            case BF16 -> new Bf16Weights(dnn, ((TensorMatrix) w).tensor().data(), w.rows(), w.cols());
            case INT8 -> {
                Int8Matrix q = (Int8Matrix) w;
                yield new Int8Weights(dnn, q.codes(), q.scales(), w.rows(), w.cols());
            }
            case TILES -> new DequantizedTiles(dnn, w);
        };
    }

    /** Whether the oneDNN paths are switched on (they are unless set to {@code off}). */
    public static boolean enabled() {
        return !"off".equalsIgnoreCase(setting("isthmus.onednn", "ISTHMUS_ONEDNN", "on").strip());
    }

    /** The smallest m that goes through oneDNN's bf16 and int8 paths on {@code isa}: the setting, else the default for the ISA. */
    public static int minRows(CpuIsa isa) {
        return positive("isthmus.onednn.min-rows", "ISTHMUS_ONEDNN_MIN_ROWS", isa.hasAmx() ? AMX_MIN_ROWS : DEFAULT_MIN_ROWS);
    }

    /** The smallest m that goes through dequantized tiles on {@code isa}: the setting, else the default for the ISA. */
    public static int tilesMinRows(CpuIsa isa) {
        return positive("isthmus.onednn.tiles-min-rows", "ISTHMUS_ONEDNN_TILES_MIN_ROWS",
                isa.hasAmx() ? AMX_TILES_MIN_ROWS : DEFAULT_TILES_MIN_ROWS);
    }

    private static int positive(String property, String env, int fallback) {
        String s = setting(property, env, String.valueOf(fallback));
        try {
            int v = Integer.parseInt(s.strip());
            if (v < 1) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(property + " / " + env + " must be a positive integer, not '" + s + "'");
        }
    }

    private static String setting(String property, String env, String fallback) {
        String p = System.getProperty(property);
        if (p != null) {
            return p;
        }
        String e = System.getenv(env);
        return e != null ? e : fallback;
    }
}
