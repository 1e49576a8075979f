package io.isthmus.launcher;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** Every kind of bad input ends with a one-line error naming the problem and a non-zero exit code. */
class BadInputTest {
    static final Path MODEL = Path.of("../examples/models/stories260K.gguf").toAbsolutePath().normalize();

    record Outcome(int code, String out, String err) {
    }

    static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Outcome(code, out.toString(), err.toString());
    }

    static void assertOneLineError(Outcome o, String... fragments) {
        assertNotEquals(0, o.code, "exit code; stderr: " + o.err);
        String err = o.err.strip();
        assertFalse(err.isEmpty(), "no error printed");
        assertEquals(1, err.lines().count(), "one line expected, got:\n" + err);
        for (String f : fragments) {
            assertTrue(err.contains(f), "error should mention '" + f + "': " + err);
        }
    }

    /** Index of {@code needle} in {@code hay}. */
    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("pattern not found");
    }

    @Test
    void missingModelFile(@TempDir Path dir) {
        Path none = dir.resolve("nothing.gguf");
        assertOneLineError(run(none.toString(), "--prompt", "hi"), "nothing.gguf", "not found");
    }

    @Test
    void truncatedGguf(@TempDir Path dir) throws Exception {
        byte[] all = Files.readAllBytes(MODEL);
        Path cut = dir.resolve("cut.gguf");
        Files.write(cut, Arrays.copyOf(all, all.length / 2));
        assertOneLineError(run(cut.toString(), "--prompt", "hi"), "cut.gguf", "truncated");
    }

    @Test
    void unsupportedTensorType(@TempDir Path dir) throws Exception {
        byte[] all = Files.readAllBytes(MODEL);
        // tensor info: name, n_dims u32, dims u64 × n, type u32: retype blk.0.attn_q.weight as I8 (same row bytes ÷ 4)
        byte[] name = "blk.0.attn_q.weight".getBytes(StandardCharsets.UTF_8);
        int at = indexOf(all, name) + name.length + 4 + 2 * 8;
        assertEquals(0, all[at], "expected an F32 type id");
        all[at] = 24; // GGML_TYPE_I8
        Path p = dir.resolve("i8.gguf");
        Files.write(p, all);
        assertOneLineError(run(p.toString(), "--prompt", "hi"), "blk.0.attn_q.weight", "I8");
    }

    @Test
    void unsupportedArchitecture(@TempDir Path dir) throws Exception {
        byte[] all = Files.readAllBytes(MODEL);
        byte[] key = "general.architecture".getBytes(StandardCharsets.UTF_8);
        int at = indexOf(all, key) + key.length + 4 + 8; // type u32, length u64, then "llama"
        System.arraycopy("bloom".getBytes(StandardCharsets.UTF_8), 0, all, at, 5);
        Path p = dir.resolve("bloom.gguf");
        Files.write(p, all);
        assertOneLineError(run(p.toString(), "--prompt", "hi"), "bloom", "bloom.gguf");
    }

    @Test
    void corruptSafetensors(@TempDir Path dir) throws Exception {
        Path shared = Path.of(System.getProperty("isthmus.shared", "../shared"), "models/prose-neox-9m");
        Assumptions.assumeTrue(Files.isDirectory(shared), "skipped: " + shared + " is absent");
        Path folder = Files.createDirectory(dir.resolve("neox"));
        Files.copy(shared.resolve("config.json"), folder.resolve("config.json"));
        Files.copy(shared.resolve("tokenizer.json"), folder.resolve("tokenizer.json"));
        byte[] head = new byte[1 << 20];
        try (var in = Files.newInputStream(shared.resolve("model.safetensors"))) {
            head = in.readNBytes(head.length);
        }
        Files.write(folder.resolve("model.safetensors"), head);
        assertOneLineError(run(folder.toString(), "--prompt", "hi"), "model.safetensors");
    }

    @Test
    void wrongYamlKey(@TempDir Path dir) throws Exception {
        Path yaml = dir.resolve("m.yaml");
        Files.writeString(yaml, "model: " + MODEL + "\ngeneration: { max_new_tokens: 4, temprature: 0.5 }\n");
        assertOneLineError(run(yaml.toString(), "--prompt", "hi"), "m.yaml", "generation.temprature");
        Files.writeString(yaml, "model: " + MODEL + "\nkv_cache: { max_tokens: many }\n");
        assertOneLineError(run(yaml.toString(), "--prompt", "hi"), "m.yaml", "kv_cache.max_tokens");
        Files.writeString(yaml, "model: " + MODEL + "\nformat: nf9-g64\n");
        assertOneLineError(run(yaml.toString(), "--prompt", "hi"), "m.yaml", "format 'nf9-g64' is not supported",
                "supported: bf16, f16, f32, q4_0, q8_0", "(key 'format')");
        Files.writeString(yaml, "model: " + MODEL + "\nformat: q4_0-g32\n");
        assertOneLineError(run(yaml.toString(), "--prompt", "hi"), "m.yaml", "takes no group size", "(key 'format')");
        Files.writeString(yaml, "model: missing.gguf\n");
        assertOneLineError(run(yaml.toString(), "--prompt", "hi"), "m.yaml", "missing.gguf");
    }

    @Test
    void promptLongerThanContext() {
        String prompt = "Once upon a time there was a little girl who liked to play in the park with her dog.";
        assertOneLineError(run(MODEL.toString(), "--prompt", prompt, "--ctx", "8"), "prompt has", "context holds 8");
    }

    @Test
    void unknownOption() {
        Outcome o = run(MODEL.toString(), "--prompt", "hi", "--temprature", "1");
        assertEquals(2, o.code);
        assertTrue(o.err.contains("--temprature"), o.err);
    }

    @Test
    void badBenchShape() {
        Outcome o = run("bench-kernels", "--shape", "4096by11008");
        assertEquals(2, o.code, o.err);
        assertTrue(o.err.contains("--shape must be ROWSxCOLS") && o.err.contains("'4096by11008'"), o.err);
    }

    @Test
    void goodRunStillWorks() {
        Outcome o = run(MODEL.toString(), "--prompt", "Once upon a time", "--max-tokens", "8", "--json");
        assertEquals(0, o.code, o.err);
        assertTrue(o.out.contains("\"token_ids\":[432,383,286,261,376,298,315,421]"), o.out);
    }
}
