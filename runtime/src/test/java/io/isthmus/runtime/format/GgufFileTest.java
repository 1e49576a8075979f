package io.isthmus.runtime.format;

import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import io.isthmus.runtime.testing.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class GgufFileTest {
    static final Path BUNDLED = Path.of("../examples/models/stories260K.gguf");

    @Test
    void readsStories260K() {
        try (GgufFile f = GgufFile.open(BUNDLED)) {
            assertEquals(3, f.version());
            assertEquals("llama", f.getString("general.architecture"));
            assertEquals(64, f.getLong("llama.embedding_length"));
            assertEquals(4, f.getLong("llama.attention.head_count_kv"));
            assertEquals(512, f.getStringList("tokenizer.ggml.tokens").size());
            assertEquals(48, f.tensors().size());
            assertEquals(14176, f.dataOffset());
            Tensor q = f.tensor("blk.0.attn_k.weight");
            assertEquals(GgmlType.F32, q.type());
            assertEquals(64, q.cols());
            assertEquals(32, q.rows());
        }
    }

    @Test
    void vocabOnlyFileEndsBeforeDataOffset() {
        Path p = SharedFiles.require("models/vocab-gguf/ggml-vocab-gpt-2.gguf");
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(0, f.tensors().size());
            assertEquals(50257, f.getStringList("tokenizer.ggml.tokens").size());
            assertEquals("gpt2", f.getString("tokenizer.ggml.model"));
        }
    }

    @Test
    void quantizedTypes() {
        Path p = SharedFiles.require("models/prose-llama-35m/prose-llama-35m-q4_0.gguf");
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(GgmlType.Q6_K, f.tensor("token_embd.weight").type());
            assertEquals(GgmlType.Q4_0, f.tensor("blk.0.attn_q.weight").type());
        }
    }

    @Test
    void truncatedFileNamesTheFileAndTheTensor(@TempDir Path dir) throws Exception {
        byte[] all = Files.readAllBytes(BUNDLED);
        Path cut = dir.resolve("cut.gguf");
        Files.write(cut, Arrays.copyOf(all, all.length - 1000));
        var e = assertThrows(ModelFormatException.class, () -> GgufFile.open(cut));
        assertTrue(e.getMessage().contains("cut.gguf"), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("tensor '"), e.getMessage());

        Path header = dir.resolve("header.gguf");
        Files.write(header, Arrays.copyOf(all, 300));
        e = assertThrows(ModelFormatException.class, () -> GgufFile.open(header));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void corruptMagicAndVersion(@TempDir Path dir) throws Exception {
        byte[] all = Files.readAllBytes(BUNDLED);
        byte[] bad = all.clone();
        bad[0] = 'X';
        Path p = dir.resolve("bad.gguf");
        Files.write(p, bad);
        assertTrue(assertThrows(ModelFormatException.class, () -> GgufFile.open(p)).getMessage().contains("not a GGUF"));
        bad = all.clone();
        bad[4] = 9;
        Files.write(p, bad);
        assertTrue(assertThrows(ModelFormatException.class, () -> GgufFile.open(p)).getMessage().contains("version 9"));
        assertTrue(assertThrows(ModelFormatException.class, () -> GgufFile.open(dir.resolve("none.gguf")))
                .getMessage().contains("not found"));
    }
}
