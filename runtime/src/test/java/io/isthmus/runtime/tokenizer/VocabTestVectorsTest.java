package io.isthmus.runtime.tokenizer;

import io.isthmus.runtime.format.GgufFile;
import io.isthmus.runtime.testing.SharedFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * llama.cpp's tokenizer test vectors. The strings are used exactly as split, leading and trailing whitespace
 * included (the Llama dummy prefix makes " Hello" → "▁", "▁Hello"), and the expected ids have no BOS, so they
 * are compared with {@code encode(text, false)}. The .inp ends with a separator, so its last piece is the
 * empty string, which matches the empty last line of .out.
 */
class VocabTestVectorsTest {
    record Vector(String text, int[] ids) {
    }

    static Tokenizer llamaSpm;
    static Tokenizer gpt2;
    static Tokenizer llama2c;

    @BeforeAll
    static void load() {
        try (GgufFile spm = GgufFile.open(SharedFiles.require("models/vocab-gguf/ggml-vocab-llama-spm.gguf"));
             GgufFile bpe = GgufFile.open(SharedFiles.require("models/vocab-gguf/ggml-vocab-gpt-2.gguf"))) {
            llamaSpm = TokenizerLoader.fromGguf(spm);
            gpt2 = TokenizerLoader.fromGguf(bpe);
        }
        llama2c = TokenizerLoader.fromLlama2cBin(SharedFiles.require("models/llama2-tokenizer/tokenizer.bin"), 32000);
    }

    static List<Vector> vectors(String gguf) throws IOException {
        Path dir = SharedFiles.require("models/vocab-gguf");
        String[] texts = Files.readString(dir.resolve(gguf + ".inp")).split("\n__ggml_vocab_test__\n", -1);
        String[] lines = Files.readString(dir.resolve(gguf + ".out")).split("\n", -1);
        assertEquals(47, texts.length);
        assertEquals(texts.length, lines.length);
        List<Vector> vectors = new ArrayList<>();
        for (int i = 0; i < texts.length; i++) {
            int[] ids = Arrays.stream(lines[i].trim().split(" ")).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();
            vectors.add(new Vector(texts[i], ids));
        }
        return vectors;
    }

    private static void assertAll(Tokenizer tokenizer, List<Vector> vectors) {
        int matched = 0;
        List<String> failures = new ArrayList<>();
        for (Vector v : vectors) {
            int[] got = tokenizer.encode(v.text, false);
            if (Arrays.equals(v.ids, got)) {
                matched++;
            } else {
                failures.add("'" + v.text + "': expected " + Arrays.toString(v.ids) + " got " + Arrays.toString(got));
            }
        }
        assertEquals(vectors.size(), matched, String.join("\n", failures));
    }

    @Test
    void llamaSpmGgufMatchesAllVectors() throws IOException {
        assertAll(llamaSpm, vectors("ggml-vocab-llama-spm.gguf"));
    }

    @Test
    void gpt2GgufMatchesAllVectors() throws IOException {
        assertAll(gpt2, vectors("ggml-vocab-gpt-2.gguf"));
    }

    @Test
    void llama2cTokenizerBinMatchesTheSameVectors() throws IOException {
        assertAll(llama2c, vectors("ggml-vocab-llama-spm.gguf"));
    }

    @Test
    void bosIsAddedOnlyWithAddSpecial() {
        assertArrayEquals(new int[] {1, 15043, 3186}, llamaSpm.encode("Hello world", true));
        assertArrayEquals(new int[] {1, 15043, 3186}, llama2c.encode("Hello world", true));
        assertArrayEquals(new int[] {15496, 995}, gpt2.encode("Hello world", true));
        assertEquals(32000, llama2c.vocabSize());
        assertEquals(50257, gpt2.vocabSize());
    }

    @Test
    void controlTokenTextIsPlainText() {
        // "<s>" is BOS (control) in the vocabulary but is never produced from text.
        int[] ids = llamaSpm.encode("<s>", false);
        assertEquals("<s>", llamaSpm.decode(ids).strip());
        assertEquals(-1, Arrays.stream(ids).filter(id -> id == 1).findAny().orElse(-1));
        assertEquals(0, llamaSpm.tokenBytes(1).length);
        assertEquals(0, llama2c.tokenBytes(2).length);
        int[] gptIds = gpt2.encode("<|endoftext|>", false);
        assertEquals(-1, Arrays.stream(gptIds).filter(id -> id == 50256).findAny().orElse(-1));
    }
}
