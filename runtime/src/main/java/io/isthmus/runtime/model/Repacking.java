package io.isthmus.runtime.model;

import io.isthmus.runtime.kernel.RowGroupMatrix;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Copies a model's Q8_0, Q4_0 and Q4_K matrices out of the file's mapping into {@link RowGroupMatrix}
 * once at load: the same bytes in a layout whose kernels decode faster (on this project's Zen 5 VM,
 * decode of prose-llama-35m at 2 threads: see README). The token embedding stays mapped unless it is
 * also the output projection (tied): lookups read a row now and then, not the whole matrix.
 * The copy is made by the calling thread, so a rank bound to a NUMA node gets it there.
 *
 * <p>On unless {@code -Disthmus.repack=false}, which keeps GGUF's layout, for comparing the two.
 */
public final class Repacking {

    private static final boolean ENABLED = !"false".equals(System.getProperty("isthmus.repack"));

    private Repacking() {
    }

    /** Whether models repack their matrices (unless {@code -Disthmus.repack=false}). */
    public static boolean enabled() {
        return ENABLED;
    }

    /** {@code weights} with their Q8_0, Q4_0 and Q4_K matrices repacked; closing the result closes {@code weights}. */
    public static ModelWeights apply(ModelWeights weights) {
        if (!ENABLED) {
            return weights;
        }
        boolean tied = !weights.has("output.weight");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, WeightMatrix> packed = new LinkedHashMap<>(weights.packed());
        Arena arena = Arena.ofShared(); // read by the pool's threads
        try {
            for (Tensor t : weights.tensors().values()) {
                boolean lookupOnly = t.name().equals("token_embd.weight") && !tied;
                if (ModelWeights.isMatrix(t) && RowGroupMatrix.supports(t.type()) && !lookupOnly) {
                    packed.put(t.name(), RowGroupMatrix.of(t, arena));
                } else {
                    tensors.put(t.name(), t);
                }
            }
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        if (packed.size() == weights.packed().size()) {
            arena.close();
            return weights;
        }
        return new ModelWeights(weights.config(), tensors, packed, weights.source(), () -> {
            arena.close();
            weights.close();
        });
    }
}
