package io.isthmus.runtime.tokenizer;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2's pre-tokenizer: splits text into contractions, letter runs, digit runs, other-symbol runs (each
 * optionally led by one space) and whitespace. {@code \s+(?!\S)} leaves the last space of a run before a
 * word to that word, so {@code "a   b"} splits as {@code "a", "  ", " b"}.
 */
final class Gpt2PreTokenizer {
    // Java's \s is ASCII-only unless UNICODE_CHARACTER_CLASS makes it Unicode White_Space, as the reference
    // engines' \s is; \p{L} and \p{N} are Unicode categories either way, matched per code point.
    private static final Pattern SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private Gpt2PreTokenizer() {
    }

    interface Visitor {
        void piece(int start, int end);
    }

    /** Visits each piece {@code text[start, end)} in order; the pieces cover the text without gaps. */
    static void split(String text, Visitor visitor) {
        Matcher m = SPLIT.matcher(text);
        while (m.find()) {
            visitor.piece(m.start(), m.end());
        }
    }
}
