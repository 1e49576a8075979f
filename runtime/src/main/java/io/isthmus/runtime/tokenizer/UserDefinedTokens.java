package io.isthmus.runtime.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * User-defined tokens (HF added tokens that are not special) are cut out of the text before BPE, as
 * llama.cpp and SentencePiece do; control tokens are not, so {@code "<s>"} in text stays plain text.
 */
final class UserDefinedTokens {
    interface Visitor {
        void text(String fragment);

        void token(int id);
    }

    /** Candidate ids by first char, longest piece first so that the longest match wins. */
    private final Map<Character, int[]> byFirstChar;
    private final String[] pieces;

    UserDefinedTokens(String[] pieces, TokenType[] types) {
        this.pieces = pieces;
        Map<Character, List<Integer>> lists = new HashMap<>();
        for (int id = 0; id < pieces.length; id++) {
            if (types[id] == TokenType.USER_DEFINED && !pieces[id].isEmpty()) {
                lists.computeIfAbsent(pieces[id].charAt(0), c -> new ArrayList<>()).add(id);
            }
        }
        byFirstChar = new HashMap<>();
        lists.forEach((c, ids) -> byFirstChar.put(c, ids.stream()
                .sorted(Comparator.comparingInt((Integer id) -> pieces[id].length()).reversed())
                .mapToInt(Integer::intValue).toArray()));
    }

    /** Visits the non-empty text runs and user-defined tokens of {@code text} in order. */
    void split(String text, Visitor visitor) {
        if (byFirstChar.isEmpty()) {
            if (!text.isEmpty()) {
                visitor.text(text);
            }
            return;
        }
        int runStart = 0;
        int i = 0;
        while (i < text.length()) {
            int match = matchAt(text, i);
            if (match < 0) {
                i++;
                continue;
            }
            if (i > runStart) {
                visitor.text(text.substring(runStart, i));
            }
            visitor.token(match);
            i += pieces[match].length();
            runStart = i;
        }
        if (runStart < text.length()) {
            visitor.text(text.substring(runStart));
        }
    }

    private int matchAt(String text, int i) {
        int[] candidates = byFirstChar.get(text.charAt(i));
        if (candidates != null) {
            for (int id : candidates) {
                if (text.startsWith(pieces[id], i)) {
                    return id;
                }
            }
        }
        return -1;
    }
}
