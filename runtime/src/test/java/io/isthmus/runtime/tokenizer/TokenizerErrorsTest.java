package io.isthmus.runtime.tokenizer;

import io.isthmus.runtime.format.GgufFile;
import io.isthmus.runtime.format.ModelFormatException;
import io.isthmus.runtime.testing.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerErrorsTest {
    private static void assertNames(ModelFormatException e, String file, String problem) {
        assertTrue(e.getMessage().contains(file) && e.getMessage().contains(problem), e.getMessage());
    }

    /** A tensor-less GGUF v3 with tokenizer.ggml.model and a three-token vocabulary. */
    private static byte[] ggufWithTokenizerModel(String model) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x46554747).putInt(3).putLong(0).putLong(2);
        putString(b, "tokenizer.ggml.model");
        b.putInt(8);
        putString(b, model);
        putString(b, "tokenizer.ggml.tokens");
        b.putInt(9).putInt(8).putLong(3);
        for (String t : new String[] {"[UNK]", "[CLS]", "a"}) {
            putString(b, t);
        }
        out.write(b.array(), 0, b.position());
        return out.toByteArray();
    }

    private static void putString(ByteBuffer b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        b.putLong(bytes.length).put(bytes);
    }

    @Test
    void unknownGgufTokenizerModel(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("bert-vocab.gguf");
        Files.write(p, ggufWithTokenizerModel("bert"));
        try (GgufFile f = GgufFile.open(p)) {
            assertNames(assertThrows(ModelFormatException.class, () -> TokenizerLoader.fromGguf(f)),
                    "bert-vocab.gguf", "unsupported tokenizer model 'bert'");
        }
    }

    @Test
    void ggufWithoutScoresForLlama(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("noscores.gguf");
        Files.write(p, ggufWithTokenizerModel("llama"));
        try (GgufFile f = GgufFile.open(p)) {
            assertNames(assertThrows(ModelFormatException.class, () -> TokenizerLoader.fromGguf(f)),
                    "noscores.gguf", "tokenizer.ggml.scores");
        }
    }

    @Test
    void corruptLlama2cTokenizer(@TempDir Path dir) throws Exception {
        byte[] good = Files.readAllBytes(SharedFiles.require("models/stories260K/tok512.bin"));
        Path p = dir.resolve("tok.bin");
        Files.write(p, Arrays.copyOf(good, good.length - 10));
        assertNames(assertThrows(ModelFormatException.class, () -> TokenizerLoader.fromLlama2cBin(p, 512)),
                "tok.bin", "truncated");
        Files.write(p, good);
        assertNames(assertThrows(ModelFormatException.class, () -> TokenizerLoader.fromLlama2cBin(p, 500)),
                "tok.bin", "vocabulary size does not match");
        byte[] badLength = good.clone();
        ByteBuffer.wrap(badLength).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 1000); // token 0's length
        Files.write(p, badLength);
        assertNames(assertThrows(ModelFormatException.class, () -> TokenizerLoader.fromLlama2cBin(p, 512)),
                "tok.bin", "corrupt token 0");
        Path missing = dir.resolve("missing.bin");
        assertNames(assertThrows(ModelFormatException.class, () -> TokenizerLoader.fromLlama2cBin(missing, 512)),
                "missing.bin", "cannot read");
    }

    @Test
    void badHuggingFaceJson(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("tokenizer.json");
        Files.writeString(p, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0,");
        assertNames(assertThrows(ModelFormatException.class, () -> TokenizerLoader.fromHuggingFaceJson(p)),
                "tokenizer.json", "cannot read tokenizer JSON");
        Files.writeString(p, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}}}");
        assertNames(assertThrows(ModelFormatException.class, () -> TokenizerLoader.fromHuggingFaceJson(p)),
                "tokenizer.json", "unsupported tokenizer model type 'WordPiece'");
        Files.writeString(p, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 2}, \"merges\": []},"
                + " \"pre_tokenizer\": {\"type\": \"ByteLevel\"}, \"normalizer\": null}");
        assertNames(assertThrows(ModelFormatException.class, () -> TokenizerLoader.fromHuggingFaceJson(p)),
                "tokenizer.json", "no token has id 1");
        Files.writeString(p, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []},"
                + " \"pre_tokenizer\": {\"type\": \"Whitespace\"}, \"normalizer\": null}");
        assertNames(assertThrows(ModelFormatException.class, () -> TokenizerLoader.fromHuggingFaceJson(p)),
                "tokenizer.json", "unsupported pre_tokenizer");
    }

    @Test
    void idOutsideTheVocabulary() {
        Tokenizer t = TokenizerLoader.fromLlama2cBin(SharedFiles.require("models/stories260K/tok512.bin"), 512);
        assertThrows(IllegalArgumentException.class, () -> t.tokenBytes(512));
        assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {-1}));
    }
}
