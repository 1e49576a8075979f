package io.isthmus.runtime.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isthmus.runtime.format.GgufFile;
import io.isthmus.runtime.testing.SharedFiles;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every line of ../shared/golden/*.jsonl: {@code encode(prompt, true)} equals {@code prompt_token_ids} with each
 * tokenizer of that model, and {@code decode(generated_token_ids)} equals {@code generated_text} (the reference
 * engines detokenize by plain concatenation of the token texts: no leading space is stripped).
 */
class GoldenPromptsTest {
    static final Path BUNDLED_STORIES = Path.of("../examples/models/stories260K.gguf");

    private final Map<String, Map<String, Tokenizer>> cache = new HashMap<>();

    /** The tokenizers (by a description) for a golden line's {@code model}. */
    private Map<String, Tokenizer> tokenizers(String model) {
        return cache.computeIfAbsent(model, m -> {
            Map<String, Tokenizer> byName = new LinkedHashMap<>();
            Path models = SharedFiles.require("models");
            if (m.equals("stories260K.gguf")) {
                byName.put("bundled " + m, gguf(BUNDLED_STORIES));
                byName.put(m, gguf(models.resolve("stories260K/stories260K.gguf")));
                byName.put("tok512.bin", TokenizerLoader.fromLlama2cBin(models.resolve("stories260K/tok512.bin"), 512));
            } else if (m.startsWith("prose-llama-35m-")) {
                byName.put(m, gguf(models.resolve("prose-llama-35m").resolve(m)));
            } else if (m.equals("prose-neox-9m-f16.gguf") || m.equals("prose-neox-9m")) {
                byName.put("prose-neox-9m-f16.gguf", gguf(models.resolve("prose-neox-9m/prose-neox-9m-f16.gguf")));
                byName.put("tokenizer.json", TokenizerLoader.fromHuggingFaceJson(models.resolve("prose-neox-9m/tokenizer.json")));
            } else {
                throw new AssertionError("golden line for an unknown model " + m);
            }
            return byName;
        });
    }

    private static Tokenizer gguf(Path path) {
        try (GgufFile f = GgufFile.open(path)) {
            return TokenizerLoader.fromGguf(f);
        }
    }

    private static int[] ints(JsonNode array) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = array.get(i).asInt();
        }
        return ids;
    }

    @Test
    void promptsAndGeneratedTextMatchTheReferenceEngines() throws IOException {
        Path golden = SharedFiles.require("golden");
        ObjectMapper json = new ObjectMapper();
        List<Path> files;
        try (Stream<Path> s = Files.list(golden)) {
            files = s.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
        }
        assertEquals(7, files.size());
        int checks = 0;
        List<String> failures = new ArrayList<>();
        for (Path file : files) {
            for (String line : Files.readAllLines(file)) {
                JsonNode g = json.readTree(line);
                String prompt = g.path("prompt").asText();
                int[] promptIds = ints(g.path("prompt_token_ids"));
                int[] generated = ints(g.path("generated_token_ids"));
                for (var e : tokenizers(g.path("model").asText()).entrySet()) {
                    Tokenizer t = e.getValue();
                    String where = file.getFileName() + " / " + e.getKey() + " / '" + prompt + "'";
                    if (!Arrays.equals(promptIds, t.encode(prompt, true))) {
                        failures.add(where + ": prompt ids " + Arrays.toString(t.encode(prompt, true)));
                    }
                    if (!g.path("generated_text").asText().equals(t.decode(generated))) {
                        failures.add(where + ": generated text '" + t.decode(generated) + "'");
                    }
                    checks++;
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
        // 28 lines: stories260K x 3 tokenizers, prose-llama x 1, prose-neox x 2 (GGUF and tokenizer.json).
        assertEquals(44, checks);
    }

    @Test
    void promptDecodesBackBehindBos() {
        Tokenizer stories = tokenizers("stories260K.gguf").values().iterator().next();
        int[] ids = stories.encode("Once upon a time", true);
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, ids);
        // The dummy-prefix space is part of the first piece; BOS decodes to nothing.
        assertEquals(" Once upon a time", stories.decode(ids));
        assertTrue(stories.isEndOfGeneration(2));
    }
}
