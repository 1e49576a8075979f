package io.isthmus.runtime.tokenizer;

import java.util.HashSet;
import java.util.Set;

/**
 * BOS/EOS ids (-1 when the vocabulary has none), whether {@code encode(text, true)} adds them, and the
 * ids at which generation stops.
 */
record SpecialTokens(int bos, int eos, boolean addBos, boolean addEos, Set<Integer> endOfGeneration) {
    SpecialTokens {
        addBos &= bos >= 0;
        addEos &= eos >= 0;
        endOfGeneration = Set.copyOf(endOfGeneration);
    }

    /** End of generation at EOS and at each non-negative id of {@code extraStops}. */
    static SpecialTokens of(int bos, int eos, boolean addBos, boolean addEos, int... extraStops) {
        Set<Integer> stops = new HashSet<>();
        if (eos >= 0) {
            stops.add(eos);
        }
        for (int id : extraStops) {
            if (id >= 0) {
                stops.add(id);
            }
        }
        return new SpecialTokens(bos, eos, addBos, addEos, stops);
    }
}
