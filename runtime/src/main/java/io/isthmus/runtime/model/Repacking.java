package io.isthmus.runtime.model;

import io.isthmus.runtime.kernel.F16PairMatrix;
import io.isthmus.runtime.kernel.Int4LaneMatrix;
import io.isthmus.runtime.kernel.RowGroupMatrix;
import io.isthmus.runtime.kernel.TensorMatrix;
import io.isthmus.runtime.kernel.VectorSettings;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.quant.PackedFormat;
import io.isthmus.runtime.quant.PackedFormats;
import io.isthmus.runtime.quant.PackedMatrix;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Copies a model's Q8_0 and Q6_K matrices out of the file's mapping into {@link RowGroupMatrix},
 * its Q4_0 and Q4_K matrices into {@link Int4LaneMatrix} (a group per vector lane; {@code -Disthmus.q4_0.lanes=false}
 * or {@code -Disthmus.q4_k.lanes=false} puts them in {@link RowGroupMatrix} too, for comparing the two; Q4_K
 * only below 512 bits by default, see {@link #LANES_Q4_K}), and its F16 matrices into
 * {@link F16PairMatrix}, and packed matrices as their family binds them (int4 into {@link Int4LaneMatrix};
 * {@code -Disthmus.int4.lanes=false} keeps its lookup layout), once at load: the same values in a layout whose
 * kernels decode faster (on this project's Zen 5 VM, decode of prose-llama-35m at 2 threads, beam
 * search on its f16 model, and Q4_K's GEMV on the AMX machine: see README). Q6_K's
 * copy takes 31 % more memory than the file's blocks (a byte per six-bit code), in exchange for a
 * kernel with half the instructions. The token embedding stays mapped unless it is
 * also the output projection (tied): lookups read a row now and then, not the whole matrix.
 * The copy is made by the calling thread, so a rank bound to a NUMA node gets it there.
 *
 * <p>{@code -Disthmus.repack} says which types: {@code true} (the default: F16, Q8_0, Q4_0, Q4_K and Q6_K),
 * {@code false} (none: GGUF's layout, for comparing the two) or a list such as {@code q8_0,q4_0}.
 */
public final class Repacking {

    private static final Set<GgmlType> DEFAULT = EnumSet.of(GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K,
            GgmlType.Q6_K);
    private static final Set<GgmlType> TYPES = types(System.getProperty("isthmus.repack", "true"));

    /** Whether Q4_0 goes into {@link Int4LaneMatrix} rather than {@link RowGroupMatrix} ({@code -Disthmus.q4_0.lanes}). */
    private static final boolean LANES_Q4_0 = Boolean.parseBoolean(System.getProperty("isthmus.q4_0.lanes", "true"));

    /**
     * Whether Q4_K goes into {@link Int4LaneMatrix} rather than {@link RowGroupMatrix}
     * ({@code -Disthmus.q4_k.lanes=auto}, {@code true} or {@code false}). Auto takes the lanes below 512
     * bits: on the Zen 3 VM (AVX2) the lane GEMV read 12.8 and 12.1 GB/s against 5.3 and 7.0, but on the
     * AMX machine's Xeon (512 bits, 16 threads) 45–64 against 62–72 with the four-row lane form, and
     * 67.3 and 68.5 against 71.4 and 74.5 a row at a time (README, "Q4_K in lanes", "The AMX machine's JIT cliff").
     */
    private static final boolean LANES_Q4_K = q4_kLanes(System.getProperty("isthmus.q4_k.lanes", "auto"));

    private Repacking() {
    }

    static boolean q4_kLanes(String setting) {
        return switch (setting.strip().toLowerCase(Locale.ROOT)) {
            case "auto" -> VectorSettings.LANES < 16;
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("isthmus.q4_k.lanes must be auto, true or false, not '" + setting + "'");
        };
    }

    /** The types a value of {@code isthmus.repack} names; an unknown or ungroupable type is an error naming it. */
    static Set<GgmlType> types(String setting) {
        String s = setting.strip().toLowerCase(Locale.ROOT);
        if (s.equals("true")) {
            return DEFAULT;
        }
        Set<GgmlType> types = EnumSet.noneOf(GgmlType.class);
        if (s.equals("false") || s.isEmpty()) {
            return types;
        }
        for (String name : s.split(",")) {
            GgmlType type = Arrays.stream(GgmlType.values()).filter(t -> t.name().equalsIgnoreCase(name.strip()))
                    .findFirst().orElse(null);
            if (type == null || !supports(type)) {
                throw new IllegalArgumentException("isthmus.repack: '" + name.strip() + "' is not a type that can be"
                        + " repacked; use true, false or a list of " + Arrays.stream(GgmlType.values())
                        .filter(Repacking::supports).map(t -> t.name().toLowerCase(Locale.ROOT)).toList());
            }
            types.add(type);
        }
        return types;
    }

    /** Whether matrices of {@code type} have a layout to repack into. */
    static boolean supports(GgmlType type) {
        return type == GgmlType.F16 || RowGroupMatrix.supports(type);
    }

    /** A matrix of a {@link #supports supported} type in its repacked layout, copied into memory from {@code arena}. */
    public static WeightMatrix repack(Tensor t, Arena arena) {
        return switch (t.type()) {
            case F16 -> F16PairMatrix.of(t, arena);
            case Q4_0 -> LANES_Q4_0 ? Int4LaneMatrix.ofQ4_0(t, arena) : RowGroupMatrix.of(t, arena);
            case Q4_K -> LANES_Q4_K ? Int4LaneMatrix.ofQ4_K(t, arena) : RowGroupMatrix.of(t, arena);
            default -> RowGroupMatrix.of(t, arena);
        };
    }

    /**
     * {@code w} as a model binds it for compute: a GGUF matrix of a {@link #repacks repacked type}
     * copied into its kernel's layout in {@code arena}, a packed matrix as its family binds it
     * ({@link PackedFormat#bind}: int4 into {@link Int4LaneMatrix}), any other matrix itself.
     */
    public static WeightMatrix forCompute(WeightMatrix w, Arena arena) {
        if (w instanceof TensorMatrix t && repacks(t.type())) {
            return repack(t.tensor(), arena);
        }
        if (w instanceof PackedMatrix p) {
            return PackedFormats.forSpec(p.spec()).bind(p, arena);
        }
        return w;
    }

    /** Whether models repack matrices of {@code type} ({@code -Disthmus.repack}). */
    public static boolean repacks(GgmlType type) {
        return TYPES.contains(type);
    }

    /**
     * {@code weights} with their matrices of the {@link #repacks repacked types} grouped and their packed
     * matrices bound ({@link #forCompute}); closing the result closes {@code weights}.
     */
    public static ModelWeights apply(ModelWeights weights) {
        boolean tied = !weights.has("output.weight");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, WeightMatrix> packed = new LinkedHashMap<>();
        Arena arena = Arena.ofShared(); // read by the pool's threads
        boolean changed = false;
        try {
            for (Tensor t : weights.tensors().values()) {
                boolean lookupOnly = t.name().equals("token_embd.weight") && !tied;
                if (ModelWeights.isMatrix(t) && repacks(t.type()) && !lookupOnly) {
                    packed.put(t.name(), repack(t, arena));
                    changed = true;
                } else {
                    tensors.put(t.name(), t);
                }
            }
            for (Map.Entry<String, WeightMatrix> e : weights.packed().entrySet()) {
                boolean lookupOnly = e.getKey().equals("token_embd.weight") && !tied;
                WeightMatrix w = lookupOnly ? e.getValue() : forCompute(e.getValue(), arena);
                changed |= w != e.getValue();
                packed.put(e.getKey(), w);
            }
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        if (!changed) {
            arena.close();
            return weights;
        }
        return new ModelWeights(weights.config(), tensors, packed, weights.source(), () -> {
            arena.close();
            weights.close();
        });
    }
}
