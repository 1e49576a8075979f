package io.isthmus.runtime.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isthmus.runtime.testing.SharedFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Greedy generation against ../shared/golden: prompt ids, generated ids and first-step logits of
 * every line whose model is f32/f16, in every format holding those weights (GGUF, llama2.c, HF).
 */
public class GoldenGenerationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Engine> ENGINES = new HashMap<>();

    /** A golden file and the model paths (relative to ../shared/models) whose weights it describes. */
    record Case(String golden, String model, String tokenizer) {
    }

    static final List<Case> CASES = List.of(
            new Case("stories260K.jsonl", "stories260K/stories260K.gguf", null),
            new Case("stories260K.jsonl", "stories260K/stories260K.bin", "stories260K/tok512.bin"),
            new Case("prose-llama-35m-f16.jsonl", "prose-llama-35m/prose-llama-35m-f16.gguf", null),
            new Case("prose-neox-9m-f16.jsonl", "prose-neox-9m/prose-neox-9m-f16.gguf", null),
            new Case("prose-neox-9m-hf.jsonl", "prose-neox-9m", null),
            new Case("prose-neox-9m-f16.jsonl", "prose-neox-9m", null),
            new Case("prose-neox-9m-hf.jsonl", "prose-neox-9m/prose-neox-9m-f16.gguf", null));

    @AfterAll
    static void close() {
        ENGINES.values().forEach(Engine::close);
        ENGINES.clear();
    }

    static Engine engine(Case c) {
        return ENGINES.computeIfAbsent(c.model + "|" + c.tokenizer, k -> {
            EngineOptions o = EngineOptions.defaults();
            if (c.tokenizer != null) {
                o = o.withTokenizer(SharedFiles.root().resolve("models").resolve(c.tokenizer));
            }
            return Engine.open(SharedFiles.root().resolve("models").resolve(c.model), o.withWarmUpMillis(0));
        });
    }

    public static List<JsonNode> lines(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(file)) {
            if (!l.isBlank()) {
                out.add(JSON.readTree(l));
            }
        }
        return out;
    }

    @TestFactory
    Stream<DynamicTest> goldenLines() throws Exception {
        return SharedFiles.orSkipped(() -> {
            List<DynamicTest> tests = new ArrayList<>();
            for (Case c : CASES) {
                Path golden = SharedFiles.require("golden/" + c.golden);
                SharedFiles.require("models/" + c.model);
                for (JsonNode line : lines(golden)) {
                    String name = c.model + " ← " + c.golden + ": " + line.get("prompt").asText();
                    tests.add(DynamicTest.dynamicTest(name, () -> check(c, line)));
                }
            }
            return tests;
        });
    }

    public static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.get(i).asInt();
        }
        return r;
    }

    private static void check(Case c, JsonNode line) {
        Engine engine = engine(c);
        String prompt = line.get("prompt").asText();
        int[] expectedPrompt = ints(line.get("prompt_token_ids"));
        int[] expectedGen = ints(line.get("generated_token_ids"));

        float[] logits = engine.nextTokenLogits(expectedPrompt);
        for (JsonNode pair : line.get("first_step_top5")) {
            int id = pair.get(0).asInt();
            double want = pair.get(1).asDouble();
            assertEquals(want, logits[id], 1e-3 * Math.max(1, Math.abs(want)),
                    "first-step logit of token " + id);
        }

        GenerationResult r = engine.generate(GenerationRequest.of(prompt).withMaxTokens(expectedGen.length));
        assertArrayEquals(expectedPrompt, r.promptTokenIds(), "prompt_token_ids");
        assertArrayEquals(expectedGen, r.tokenIds(), "generated_token_ids");
    }
}
