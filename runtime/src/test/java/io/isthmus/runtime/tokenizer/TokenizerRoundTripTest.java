package io.isthmus.runtime.tokenizer;

import io.isthmus.runtime.format.GgufFile;
import io.isthmus.runtime.testing.SharedFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** decode(encode(s)) == s, byte fallback included, and encoding speed on a large text. */
class TokenizerRoundTripTest {
    static Tokenizer llama;
    static Tokenizer stories;
    static Tokenizer gpt2;
    static Tokenizer neoxJson;

    @BeforeAll
    static void load() {
        try (GgufFile spm = GgufFile.open(SharedFiles.require("models/vocab-gguf/ggml-vocab-llama-spm.gguf"));
             GgufFile bpe = GgufFile.open(SharedFiles.require("models/vocab-gguf/ggml-vocab-gpt-2.gguf"));
             GgufFile small = GgufFile.open(GoldenPromptsTest.BUNDLED_STORIES)) {
            llama = TokenizerLoader.fromGguf(spm);
            gpt2 = TokenizerLoader.fromGguf(bpe);
            stories = TokenizerLoader.fromGguf(small);
        }
        neoxJson = TokenizerLoader.fromHuggingFaceJson(SharedFiles.require("models/prose-neox-9m/tokenizer.json"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Hello, world!  Two  spaces\tand\ttabs\n\nnew lines ",
            "Café naïve façade — Ångström, Führer, Cửa Việt", "我想在apple工作1314151天～ 日本語のテキスト",
            "emoji 🦙🚀 😶‍🌫️ ✅ and a lone 𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "", " ", "\u0000\u0001 control bytes \u007f"})
    void decodeInvertsEncode(String text) {
        for (Tokenizer t : List.of(llama, stories, gpt2, neoxJson)) {
            // The SentencePiece dummy prefix comes back as a leading space.
            String expected = t instanceof SentencePieceBpeTokenizer && !text.isEmpty() ? " " + text : text;
            assertEquals(expected, t.decode(t.encode(text, true)), t.getClass().getSimpleName());
        }
    }

    @Test
    void charactersOutsideTheVocabularyFallBackToBytes() {
        // stories260K has 512 tokens: no CJK, so each UTF-8 byte is a <0xXX> token (ids 3..258).
        int[] ids = stories.encode("天", false);
        assertEquals(List.of(3 + 0xE5, 3 + 0xA4, 3 + 0xA9), List.of(ids[1], ids[2], ids[3]));
        assertEquals(1, stories.tokenBytes(ids[1]).length);
    }

    @Test
    void encodesAMegabyteInLinearTime() throws IOException {
        String stories = Files.readString(SharedFiles.require("data/tinystories/tinystories_validation_first1000.txt"));
        StringBuilder text = new StringBuilder();
        while (text.length() < 1 << 20) {
            text.append(stories);
        }
        String megabyte = text.substring(0, 1 << 20);
        for (Tokenizer t : List.of(llama, gpt2)) {
            t.encode(megabyte.substring(0, 1 << 16), false); // warm-up
            long start = System.nanoTime();
            int[] ids = t.encode(megabyte, false);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(megabyte, stripDummyPrefix(t, t.decode(ids)));
            System.out.printf("%s: 1 MiB -> %d ids in %.2f s%n", t.getClass().getSimpleName(), ids.length, seconds);
            // a guard against quadratic merging (minutes), not a speed figure: ~1.5 s here when idle
            assertTrue(seconds < 20, t.getClass().getSimpleName() + " took " + seconds + " s for 1 MiB");
        }
    }

    private static String stripDummyPrefix(Tokenizer t, String decoded) {
        return t instanceof SentencePieceBpeTokenizer ? decoded.substring(1) : decoded;
    }
}
