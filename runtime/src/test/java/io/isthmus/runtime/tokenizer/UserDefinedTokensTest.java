package io.isthmus.runtime.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Token types on a small hand-made SentencePiece vocabulary. */
class UserDefinedTokensTest {
    // ids: 0 <unk>, 1 <s>, 2 </s>, 3 <0x41> ('A'), 4 ▁, 5 a, 6 b, 7 ▁a, 8 ab, 9 ▁ab, 10 <tool> (user-defined), 11 <to
    private static final String[] PIECES = {"<unk>", "<s>", "</s>", "<0x41>", "▁", "a", "b", "▁a", "ab", "▁ab",
            "<tool>", "<to"};
    private static final TokenType[] TYPES = {TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL, TokenType.BYTE,
            TokenType.NORMAL, TokenType.NORMAL, TokenType.NORMAL, TokenType.NORMAL, TokenType.NORMAL, TokenType.NORMAL,
            TokenType.USER_DEFINED, TokenType.USER_DEFINED};
    private static final float[] SCORES = {0, 0, 0, 0, -1, -2, -3, -4, -5, -6, 0, 0};

    private static SentencePieceBpeTokenizer tokenizer() {
        return SentencePieceBpeTokenizer.withScores(PIECES, SCORES, TYPES, SpecialTokens.of(1, 2, true, true),
                SentencePieceBpeTokenizer.DummyPrefix.ALWAYS);
    }

    @Test
    void userDefinedTokensAreCutOutLongestFirstAndEachTextRunGetsThePrefix() {
        // "ab<tool>ab" → ▁ab, <tool>, ▁ab (llama.cpp puts the dummy prefix after each special piece).
        assertArrayEquals(new int[] {1, 9, 10, 9, 2}, tokenizer().encode("ab<tool>ab", true));
        assertArrayEquals(new int[] {11, 7}, tokenizer().encode("<toa", false));
    }

    @Test
    void unknownCharactersUseByteTokensOrUnknown() {
        // 'A' has a byte token, 'Z' has none: it becomes <unk>.
        assertArrayEquals(new int[] {4, 3, 0}, tokenizer().encode("AZ", false));
        assertEquals("A", tokenizer().decode(new int[] {1, 3, 2}));
    }

    @Test
    void controlPiecesAreNeverMergedInto() {
        // "</s>" is a piece, but control: the text "</s>" stays characters.
        List<Integer> ids = java.util.Arrays.stream(tokenizer().encode("</s>", false)).boxed().toList();
        assertEquals(List.of(4, 0, 0, 0, 0), ids);
    }
}
