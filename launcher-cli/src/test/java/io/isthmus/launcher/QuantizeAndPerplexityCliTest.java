package io.isthmus.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static io.isthmus.launcher.BadInputTest.MODEL;
import static io.isthmus.launcher.BadInputTest.assertOneLineError;
import static io.isthmus.launcher.BadInputTest.run;
import static org.junit.jupiter.api.Assertions.*;

/** {@code perplexity}, {@code quantize} and {@code formats} on the bundled stories260K model. */
class QuantizeAndPerplexityCliTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String STORY = "Once upon a time, there was a little girl named Lily. She loved to play outside in the"
            + " park. One day, she saw a big, red ball. She wanted to play with it, but it was too high. Lily asked her"
            + " mom for help. Her mom smiled and said, \"Let's get it together!\" They got the ball and played all day.\n";

    static Path text(Path dir) throws Exception {
        return Files.writeString(dir.resolve("story.txt"), STORY.repeat(6));
    }

    static JsonNode perplexity(String model, Path text, String ctx) throws Exception {
        BadInputTest.Outcome o = run(model, "perplexity", "--text", text.toString(), "--ctx", ctx, "--json", "--warm-up-ms", "0");
        assertEquals(0, o.code(), o.err());
        return JSON.readTree(o.out());
    }

    @Test
    void perplexityPrintsJsonAndPlainText(@TempDir Path dir) throws Exception {
        Path text = text(dir);
        JsonNode j = perplexity(MODEL.toString(), text, "64");
        assertEquals(64, j.get("ctx").asInt());
        assertEquals("f32", j.get("format").asText());
        int windows = j.get("chunks").asInt();
        assertEquals(j.get("text_tokens").asInt() / 64, windows);
        assertEquals(windows * 31L, j.get("tokens").asLong());
        double ppl = j.get("ppl").asDouble();
        assertTrue(ppl > 1 && ppl < 20, "a repeated simple story is easy for stories260K: " + ppl);
        BadInputTest.Outcome plain = run(MODEL.toString(), "perplexity", "--text", text.toString(), "--ctx", "64");
        assertEquals(0, plain.code(), plain.err());
        assertTrue(plain.out().startsWith(String.format(java.util.Locale.ROOT, "perplexity %.4f", ppl)), plain.out());
    }

    @Test
    void quantizedFileScoresLikeTheFormatAtLoad(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("s-q8.safetensors");
        BadInputTest.Outcome q = run("quantize", "--model", MODEL.toString(), "--format", "q8_0", "--out", out.toString());
        assertEquals(0, q.code(), q.err());
        assertTrue(q.out().startsWith("wrote " + out + ": "), q.out());
        assertTrue(q.out().contains("weights q8_0, 8.69 bits per weight"), q.out());
        Path yaml = dir.resolve("atload.yaml");
        Files.writeString(yaml, "model: " + MODEL + "\nformat: q8_0\n");
        Path text = text(dir);
        JsonNode fromFile = perplexity(out.toString(), text, "64");
        JsonNode atLoad = perplexity(yaml.toString(), text, "64");
        // the same weights; runs differ only in how far the JIT had compiled the Vector API reductions (their order)
        assertEquals(atLoad.get("ppl").asDouble(), fromFile.get("ppl").asDouble(), 1e-7 * atLoad.get("ppl").asDouble());
        assertEquals("q8_0", fromFile.get("format").asText());
        // and it generates with its own tokenizer, no source needed
        BadInputTest.Outcome g = run(out.toString(), "--prompt", "Once upon a time", "--max-tokens", "4", "--json");
        assertEquals(0, g.code(), g.err());
        assertTrue(g.out().contains("\"prompt_token_ids\":[1,403,407,261,378]"), g.out());
    }

    @Test
    void formatsListsGgufTypesAndPackedFamilies() {
        BadInputTest.Outcome o = run("formats", "--specs", "--kind", "gguf");
        assertEquals(0, o.code(), o.err());
        assertEquals(Arrays.asList("bf16", "f16", "f32", "q4_0", "q8_0"), o.out().lines().toList());
        BadInputTest.Outcome table = run("formats");
        assertEquals(0, table.code(), table.err());
        assertTrue(table.out().startsWith("name     kind    default spec"), table.out());
    }

    @Test
    void badQuantizeAndPerplexityInput(@TempDir Path dir) throws Exception {
        assertOneLineError(run("quantize", "--model", MODEL.toString(), "--format", "nf9", "--out",
                dir.resolve("x.safetensors").toString()), "format 'nf9' is not supported", "q8_0");
        assertOneLineError(run("quantize", "--model", MODEL.toString(), "--format", "q8_0", "--out",
                dir.resolve("x.gguf").toString()), "x.gguf", ".safetensors");
        assertOneLineError(run("quantize", "--model", MODEL.toString(), "--format", "nf4-g64", "--group", "128", "--out",
                dir.resolve("x.safetensors").toString()), "--group 128 conflicts");
        assertOneLineError(run(MODEL.toString(), "perplexity", "--text", dir.resolve("none.txt").toString()), "none.txt", "not found");
        assertOneLineError(run(MODEL.toString(), "perplexity", "--text", text(dir).toString(), "--ctx", "4096"),
                "--ctx 4096 exceeds the model's context length of 2048");
        Path out = dir.resolve("s.safetensors");
        assertEquals(0, run("quantize", "--model", MODEL.toString(), "--format", "q4_0", "--out", out.toString()).code());
        byte[] all = Files.readAllBytes(out);
        Path cut = Files.write(dir.resolve("cut.safetensors"), Arrays.copyOf(all, all.length * 2 / 3));
        assertOneLineError(run(cut.toString(), "--prompt", "hi"), "cut.safetensors", "tensor '", "truncated");
    }
}
