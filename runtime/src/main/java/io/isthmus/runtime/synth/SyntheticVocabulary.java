package io.isthmus.runtime.synth;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A self-contained SentencePiece-style vocabulary of any size, for synthetic models: {@code <unk>},
 * {@code <s>}, {@code </s>}, the 256 byte-fallback tokens, then letter n-grams ("▁" marks a word
 * start) in order of length, scored so shorter pieces merge first, and unused tokens past what the
 * n-grams fill. Any text tokenizes (bytes at worst) and any id decodes; it is not a trained vocabulary.
 */
final class SyntheticVocabulary {
    static final int UNKNOWN = 2, CONTROL = 3, NORMAL = 1, UNUSED = 5, BYTE = 6; // GGUF token types
    private static final String LETTERS = "▁etaoinsrhldcumfpgwybvkxjqz";

    final List<String> pieces = new ArrayList<>();
    final float[] scores;
    final int[] types;

    SyntheticVocabulary(int size) {
        if (size < 3 + 256) {
            throw new IllegalArgumentException("a synthetic vocabulary needs at least 259 tokens, got " + size);
        }
        scores = new float[size];
        types = new int[size];
        add("<unk>", UNKNOWN);
        add("<s>", CONTROL);
        add("</s>", CONTROL);
        for (int b = 0; b < 256; b++) {
            add(String.format("<0x%02X>", b), BYTE);
        }
        Set<String> grams = new LinkedHashSet<>();
        for (int i = 0; i < LETTERS.length(); i++) { // word start and lower-case letters first, then the other printable ASCII
            grams.add(String.valueOf(LETTERS.charAt(i)));
        }
        for (char c = ' ' + 1; c < 127; c++) {
            grams.add(String.valueOf(c));
        }
        List<String> previous = new ArrayList<>(List.of(""));
        while (grams.size() < size && previous.size() < size) {
            List<String> next = new ArrayList<>();
            for (String p : previous) {
                for (int i = 0; i < LETTERS.length(); i++) {
                    String g = p + LETTERS.charAt(i);
                    if (g.indexOf('▁', 1) < 0) { // a word start only at the front
                        next.add(g);
                        grams.add(g);
                    }
                }
            }
            previous = next;
        }
        for (String g : grams) {
            if (pieces.size() == size) {
                break;
            }
            scores[pieces.size()] = -pieces.size();
            add(g, NORMAL);
        }
        while (pieces.size() < size) {
            add("<unused" + pieces.size() + ">", UNUSED);
        }
    }

    private void add(String piece, int type) {
        types[pieces.size()] = type;
        pieces.add(piece);
    }
}
