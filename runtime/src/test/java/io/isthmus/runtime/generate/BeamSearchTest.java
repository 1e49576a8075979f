package io.isthmus.runtime.generate;

import io.isthmus.runtime.format.GgufFile;
import io.isthmus.runtime.format.ModelLoader;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.Transformer;
import io.isthmus.runtime.testing.SharedFiles;
import io.isthmus.runtime.testing.StopAtToken;
import io.isthmus.runtime.tokenizer.Tokenizer;
import io.isthmus.runtime.tokenizer.TokenizerLoader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Beam search over the indirect-access KV cache (beams batched in one forward pass, history table,
 * no cache copies) returns the same best sequence and score as {@link ReferenceBeamSearch} (a cache
 * per beam, copied in full, one beam per forward pass) on the golden prompts: stories260K (bundled),
 * prose-llama-35m (../shared). Variants reach end-of-generation early (a frequent token declared
 * an end), use early stopping and other length penalties.
 */
class BeamSearchTest {
    static final Path STORIES = Path.of("../examples/models/stories260K.gguf").toAbsolutePath().normalize();
    static final String LLAMA = "models/prose-llama-35m/prose-llama-35m-f16.gguf";
    static final List<String> STORY_PROMPTS = List.of("Once upon a time", "Lily wanted to", "The little dog");
    private static final List<AutoCloseable> OPEN = new ArrayList<>();

    @AfterAll
    static void close() throws Exception {
        for (AutoCloseable c : OPEN) {
            c.close();
        }
        OPEN.clear();
    }

    record Model(Transformer transformer, Tokenizer tokenizer) {
    }

    static Model open(Path path) {
        ModelWeights w = ModelLoader.load(path);
        ComputePool pool = new ComputePool(2);
        OPEN.add(w);
        OPEN.add(pool);
        try (GgufFile g = GgufFile.open(path)) {
            return new Model(new Transformer(w, pool), TokenizerLoader.fromGguf(g));
        }
    }

    @TestFactory
    Stream<DynamicTest> storiesPrompts() {
        Model m = open(STORIES);
        List<DynamicTest> tests = new ArrayList<>();
        for (String prompt : STORY_PROMPTS) {
            tests.add(DynamicTest.dynamicTest("B=4: " + prompt, () -> check(m, m.tokenizer(), prompt, 24, BeamParams.of(4))));
            // 261 (",") is frequent in these stories: beams end early and finished sequences compete
            tests.add(DynamicTest.dynamicTest("B=4, ending at ',': " + prompt,
                    () -> check(m, new StopAtToken(m.tokenizer(), 261), prompt, 24, BeamParams.of(4))));
            tests.add(DynamicTest.dynamicTest("B=3, early stopping, length penalty 0.5: " + prompt,
                    () -> check(m, new StopAtToken(m.tokenizer(), 261), prompt, 24,
                            BeamParams.of(3).withEarlyStopping(true).withLengthPenalty(0.5))));
            tests.add(DynamicTest.dynamicTest("B=2, length penalty -1: " + prompt,
                    () -> check(m, new StopAtToken(m.tokenizer(), 261), prompt, 16, BeamParams.of(2).withLengthPenalty(-1))));
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> proseLlamaGoldenPrompts() throws Exception {
        return SharedFiles.orSkipped(() -> {
            Path model = SharedFiles.require(LLAMA);
            Path golden = SharedFiles.require("golden/prose-llama-35m-f16.jsonl");
            Model m = open(model);
            List<DynamicTest> tests = new ArrayList<>();
            int n = 0;
            for (String line : Files.readAllLines(golden)) {
                if (line.isBlank()) {
                    continue;
                }
                boolean alsoEnding = n++ < 2; // the end-of-generation variant on two prompts: the box is small
                String prompt = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line).get("prompt").asText();
                tests.add(DynamicTest.dynamicTest("B=4: " + prompt, () -> check(m, m.tokenizer(), prompt, 32, BeamParams.of(4))));
                if (!alsoEnding) {
                    continue;
                }
                // 29892 (",") ends beams early
                tests.add(DynamicTest.dynamicTest("B=4, ending at ',': " + prompt,
                        () -> check(m, new StopAtToken(m.tokenizer(), 29892), prompt, 32, BeamParams.of(4))));
            }
            return tests;
        });
    }

    static void check(Model m, Tokenizer tokenizer, String prompt, int maxNew, BeamParams params) {
        int[] ids = tokenizer.encode(prompt, true);
        Generator g = new Generator(m.transformer(), tokenizer, KvCacheType.F32, m.transformer().config().contextLength());
        List<Integer> streamed = new ArrayList<>();
        Generator.Output out = g.generate(ids, maxNew, SamplingParams.GREEDY, params, false,
                (id, text) -> { if (id >= 0) streamed.add(id); }, () -> false);
        ReferenceBeamSearch.Result ref = ReferenceBeamSearch.run(m.transformer(), ids, maxNew, params,
                tokenizer::isEndOfGeneration);
        assertArrayEquals(ref.tokens(), out.tokenIds(), "best sequence");
        assertEquals(ref.score(), out.score(), 1e-4 * Math.max(1, Math.abs(ref.score())), "its score");
        assertEquals(List.of(ref.tokens().length), List.of(streamed.size()), "tokens streamed at the end");
        assertTrue(out.timings().decodeSteps() <= maxNew - 1);
    }

    @Test
    void oneBeamIsGreedy() {
        Model m = open(STORIES);
        Generator g = new Generator(m.transformer(), m.tokenizer(), KvCacheType.F32, 512);
        int[] ids = m.tokenizer().encode("Once upon a time", true);
        int[] greedy = g.generate(ids, 16, SamplingParams.GREEDY, false, (i, t) -> { }, () -> false).tokenIds();
        int[] beam1 = g.generate(ids, 16, SamplingParams.GREEDY, BeamParams.of(1), false, (i, t) -> { }, () -> false).tokenIds();
        assertArrayEquals(greedy, beam1);
    }

    @Test
    void contextLimitAndCancellationEndTheSearch() {
        Model m = open(STORIES);
        int[] ids = m.tokenizer().encode("Once upon a time", true);
        Generator small = new Generator(m.transformer(), m.tokenizer(), KvCacheType.F32, ids.length + 4);
        Generator.Output full = small.generate(ids, 50, SamplingParams.GREEDY, BeamParams.of(4), true, (i, t) -> { }, () -> false);
        assertEquals(StopReason.CONTEXT_FULL, full.stopReason());
        assertEquals(5, full.tokenIds().length, "4 cached positions + the last chosen token");
        Generator g = new Generator(m.transformer(), m.tokenizer(), KvCacheType.F32, 512);
        int[] calls = {0};
        Generator.Output cancelled = g.generate(ids, 50, SamplingParams.GREEDY, BeamParams.of(4), true, (i, t) -> { },
                () -> ++calls[0] > 3);
        assertEquals(StopReason.CANCELLED, cancelled.stopReason());
        assertTrue(cancelled.tokenIds().length < 10);
    }
}
