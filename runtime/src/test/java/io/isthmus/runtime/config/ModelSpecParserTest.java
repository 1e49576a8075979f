package io.isthmus.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.runtime.generate.SamplingParams;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelSpecParserTest {

    @TempDir
    Path dir;
    private Path model;

    @BeforeEach
    void createModel() throws IOException {
        model = Files.createDirectories(dir.resolve("models")).resolve("tiny.gguf");
        Files.write(model, new byte[] {1, 2, 3});
    }

    private Path yaml(String text) throws IOException {
        Path file = Files.createDirectories(dir.resolve("conf")).resolve("model.yaml");
        Files.writeString(file, text);
        return file;
    }

    private String error(String text) throws IOException {
        Path file = yaml(text);
        String message = assertThrows(ConfigException.class, () -> ModelSpecParser.parse(file)).getMessage();
        assertTrue(message.startsWith(file + ": "), "names the file: " + message);
        assertEquals(1, message.lines().count(), "one line: " + message);
        return message;
    }

    @Test
    void minimalFileGetsDefaults() throws IOException {
        ModelSpec spec = ModelSpecParser.parse(yaml("model: ../models/tiny.gguf\n"));
        assertEquals(model.toAbsolutePath().normalize(), spec.model());
        assertEquals(Optional.empty(), spec.tokenizer());
        assertEquals(Optional.empty(), spec.format());
        assertEquals(OptionalInt.empty(), spec.tensorParallel());
        assertEquals(OptionalInt.empty(), spec.threads());
        assertEquals(io.isthmus.runtime.model.KvCacheType.F32, spec.kvCache().dtype());
        assertEquals(OptionalInt.empty(), spec.kvCache().maxTokens());
        assertEquals(128, spec.generation().maxNewTokens());
        assertEquals(SamplingParams.GREEDY, spec.generation().sampling());
        assertEquals(io.isthmus.runtime.generate.BeamParams.NONE, spec.generation().beams());
        assertEquals(Optional.empty(), spec.server());
        assertEquals(Optional.of(dir.resolve("conf/model.yaml").toAbsolutePath()), spec.source());
    }

    @Test
    void fullFileParses() throws IOException {
        Files.writeString(dir.resolve("conf-tok.bin"), "t");
        ModelSpec spec = ModelSpecParser.parse(yaml("""
                model: ../models/tiny.gguf
                tokenizer: ../conf-tok.bin
                format: lut4+sparse0.45
                tensor_parallel: 2
                threads: 8
                kv_cache: { dtype: bf16, max_tokens: 4096 }
                generation:
                  max_new_tokens: 64
                  temperature: 0.7
                  top_p: 0.9
                  top_k: 40
                  min_p: 0.05
                  repetition_penalty: 1.1
                  repeat_last_n: 32
                  seed: 1234567890123
                  beams: 4
                  length_penalty: 1.5
                  early_stopping: true
                server: { host: 0.0.0.0, port: 9000 }
                """));
        assertEquals(Optional.of(dir.resolve("conf-tok.bin")), spec.tokenizer());
        assertEquals(new FormatSpec("lut4", OptionalInt.empty(), true, OptionalDouble.of(0.45)), spec.format().orElseThrow());
        assertEquals(OptionalInt.of(2), spec.tensorParallel());
        assertEquals(OptionalInt.of(8), spec.threads());
        assertEquals(new KvCacheSpec(io.isthmus.runtime.model.KvCacheType.BF16, OptionalInt.of(4096)), spec.kvCache());
        assertEquals(new GenerationSpec(64, new SamplingParams(0.7, 40, 0.9, 0.05, 1.1, 32, 1234567890123L),
                        new io.isthmus.runtime.generate.BeamParams(4, 1.5, true)),
                spec.generation());
        assertEquals(Optional.of(new ServerSpec("0.0.0.0", 9000)), spec.server());
    }

    @Test
    void autoTensorParallelAndBareServerSection() throws IOException {
        ModelSpec spec = ModelSpecParser.parse(yaml("model: ../models\ntensor_parallel: auto\nserver:\n"));
        assertEquals(model.getParent().toAbsolutePath().normalize(), spec.model());
        assertEquals(OptionalInt.empty(), spec.tensorParallel());
        assertEquals(Optional.of(new ServerSpec("127.0.0.1", 8080)), spec.server());
    }

    @Test
    void unknownTopLevelKey() throws IOException {
        String message = error("model: ../models/tiny.gguf\nmodle: x\n");
        assertTrue(message.contains("unknown key 'modle'"), message);
    }

    @Test
    void unknownNestedKey() throws IOException {
        String message = error("model: ../models/tiny.gguf\ngeneration: { temprature: 0.5 }\n");
        assertTrue(message.contains("unknown key 'generation.temprature'"), message);
        assertTrue(message.contains("temperature"), "lists the known keys: " + message);
    }

    @Test
    void wrongTypes() throws IOException {
        assertTrue(error("model: ../models/tiny.gguf\nkv_cache: { max_tokens: abc }\n")
                .endsWith(": 'kv_cache.max_tokens' must be a positive integer, got \"abc\""));
        assertTrue(error("model: ../models/tiny.gguf\nkv_cache: { max_tokens: 0 }\n")
                .endsWith(": 'kv_cache.max_tokens' must be a positive integer, got 0"));
        assertTrue(error("model: ../models/tiny.gguf\ngeneration: { temperature: hot }\n")
                .endsWith(": 'generation.temperature' must be a number, got \"hot\""));
        assertTrue(error("model: ../models/tiny.gguf\ngeneration: [1, 2]\n")
                .endsWith(": 'generation' must be a mapping, got a list"));
        assertTrue(error("model: ../models/tiny.gguf\ntensor_parallel: many\n")
                .endsWith(": 'tensor_parallel' must be 'auto' or a positive integer, got \"many\""));
        assertTrue(error("model: ../models/tiny.gguf\nkv_cache: { dtype: fp16 }\n")
                .endsWith(": 'kv_cache.dtype' must be one of f32, bf16, got \"fp16\""));
        assertTrue(error("model: ../models/tiny.gguf\nthreads: 2.5\n")
                .endsWith(": 'threads' must be a positive integer, got 2.5"));
        assertTrue(error("model: 3\n").endsWith(": 'model' must be a string, got 3"));
        assertTrue(error("model: ../models/tiny.gguf\ngeneration: { early_stopping: yes please }\n")
                .endsWith(": 'generation.early_stopping' must be true or false, got \"yes please\""));
    }

    @Test
    void outOfRangeSamplingValuesNameTheKey() throws IOException {
        assertTrue(error("model: ../models/tiny.gguf\ngeneration: { top_p: 1.5 }\n")
                .endsWith(": 'generation.top_p' must be in (0, 1], got 1.5"));
        assertTrue(error("model: ../models/tiny.gguf\ngeneration: { top_k: -2 }\n")
                .endsWith(": 'generation.top_k' must be >= 0 (0 = off), got -2"));
        assertTrue(error("model: ../models/tiny.gguf\nserver: { port: 70000 }\n")
                .contains("'server.port' must be in [0, 65535]"));
    }

    @Test
    void missingModelFileNamesTheAbsolutePath() throws IOException {
        String message = error("model: ../models/absent.gguf\n");
        Path expected = dir.resolve("models/absent.gguf").toAbsolutePath().normalize();
        assertTrue(message.endsWith(": model file not found: " + expected + " (key 'model')"), message);
    }

    @Test
    void missingTokenizerAndMissingModelKey() throws IOException {
        assertTrue(error("model: ../models/tiny.gguf\ntokenizer: tok.bin\n")
                .contains("tokenizer file not found: " + dir.resolve("conf/tok.bin") + " (key 'tokenizer')"));
        assertTrue(error("format: bf16\n").endsWith(": missing required key 'model'"));
    }

    @Test
    void badFormatSpec() throws IOException {
        String message = error("model: ../models/tiny.gguf\nformat: int4-g\n");
        assertTrue(message.contains("bad format spec 'int4-g'") && message.contains("(key 'format')"), message);
        assertTrue(error("model: ../models/tiny.gguf\nformat: lut4+sparse150\n")
                .contains("sparse percent must be in (0, 100], got 150.0"));
    }

    @Test
    void yamlSyntaxErrorsGiveTheLine() throws IOException {
        String message = error("model: ../models/tiny.gguf\ngeneration:\n  top_p: 0.9\n   seed: 1\n");
        assertTrue(message.contains("line 4"), message);
        assertTrue(error("model: ../models/tiny.gguf\nmodel: again.gguf\n").contains("duplicate key model"));
        assertTrue(error("").endsWith(": expected a mapping with at least the key 'model', got nothing"));
    }

    @Test
    void arbitraryTypesAreNotConstructed() throws IOException {
        String message = error("model: !!java.io.File [/etc/passwd]\n");
        assertTrue(message.contains("invalid YAML"), message);
    }

    @Test
    void missingYamlFile() {
        Path absent = dir.resolve("nope.yaml");
        assertEquals(absent + ": file not found",
                assertThrows(ConfigException.class, () -> ModelSpecParser.parse(absent)).getMessage());
    }

    @Test
    void modelPathGivenDirectly() {
        ModelSpec spec = ModelSpec.ofModelPath(model);
        assertEquals(model.toAbsolutePath(), spec.model());
        assertEquals(Optional.empty(), spec.source());
        assertEquals(GenerationSpec.DEFAULT, spec.generation());
        Path absent = dir.resolve("absent.gguf").toAbsolutePath();
        assertEquals("model file not found: " + absent,
                assertThrows(ConfigException.class, () -> ModelSpec.ofModelPath(absent)).getMessage());
    }
}
