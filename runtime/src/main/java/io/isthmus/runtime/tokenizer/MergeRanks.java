package io.isthmus.runtime.tokenizer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A BPE merge list: the pair {@code (a, b)} of rank r merges before any pair of higher rank. */
final class MergeRanks {
    private final Map<String, Integer> rankByPair;

    private MergeRanks(Map<String, Integer> rankByPair) {
        this.rankByPair = rankByPair;
    }

    /** From pairs in rank order; {@code pairs.get(r)} is {left, right}. The first occurrence of a pair counts. */
    static MergeRanks of(List<String[]> pairs) {
        Map<String, Integer> ranks = HashMap.newHashMap(pairs.size());
        for (int r = 0; r < pairs.size(); r++) {
            ranks.putIfAbsent(key(pairs.get(r)[0], pairs.get(r)[1]), r);
        }
        return new MergeRanks(ranks);
    }

    /** A {@link BpeMerger.PairPriority}: minus the rank (lowest rank first), NaN for pairs not in the list. */
    double priority(String text, int start, int mid, int end) {
        Integer rank = rankByPair.get(key(text.substring(start, mid), text.substring(mid, end)));
        return rank == null ? Double.NaN : -rank;
    }

    private static String key(String left, String right) {
        // U+0000 never occurs inside a piece of either byte-level or SentencePiece vocabularies.
        return left + '\0' + right;
    }
}
