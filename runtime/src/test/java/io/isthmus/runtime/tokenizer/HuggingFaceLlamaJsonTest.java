package io.isthmus.runtime.tokenizer;

import io.isthmus.runtime.testing.SharedFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * prose-llama-35m's tokenizer.json (Llama 2 vocabulary as an HF BPE with byte fallback and Metaspace). It merges by
 * merge rank, not piece score, so it differs from SentencePiece where the models README says it does.
 */
class HuggingFaceLlamaJsonTest {
    static Tokenizer hf;

    @BeforeAll
    static void load() {
        hf = TokenizerLoader.fromHuggingFaceJson(SharedFiles.require("models/prose-llama-35m/tokenizer.json"));
    }

    @Test
    void agreesWithSentencePieceOnOrdinaryText() {
        assertTrue(hf instanceof SentencePieceBpeTokenizer);
        assertEquals(32000, hf.vocabSize());
        assertArrayEquals(new int[] {1, 9038, 2501, 263, 931}, hf.encode("Once upon a time", true));
        assertArrayEquals(new int[] {1, 15043, 29892, 3186, 29991, 29871, 29896, 29906, 29941, 813, 274, 28059, 29871, 229, 155, 152},
                hf.encode("Hello, world! 123 — café ☕", true));
        assertEquals(" café ☕", hf.decode(hf.encode("café ☕", false)));
    }

    @Test
    void mergesTwoSpacesFirstUnlikeSentencePiece() {
        // SentencePiece: "▁.", "▁", "▁If"; the HF merge list ranks ("▁", "▁") first: "▁.", "▁▁", "If".
        assertArrayEquals(new int[] {869, 259, 3644}, hf.encode(".  If", false));
    }

    @Test
    void metaspaceAddsNoPrefixBeforeALeadingSpace() {
        // SentencePiece and the GGUF give "▁", "▁Hello" (29871, 15043).
        assertArrayEquals(new int[] {15043}, hf.encode(" Hello", false));
        assertArrayEquals(new int[] {15043}, hf.encode("Hello", false));
    }
}
