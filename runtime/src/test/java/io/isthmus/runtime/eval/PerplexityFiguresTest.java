package io.isthmus.runtime.eval;

import io.isthmus.runtime.api.Engine;
import io.isthmus.runtime.api.EngineOptions;
import io.isthmus.runtime.testing.SharedFiles;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Perplexity at context 256 against llama.cpp's {@code llama-perplexity} figures in
 * ../shared/models/README.md §7, on the whole texts of ../shared/data: f16 within 1 %, the
 * quantized GGUFs within 2 %, and the token and chunk counts exactly.
 *
 * <p>Each figure takes minutes on two cores, so the suite runs one — prose-neox-9m f16 on TinyStories,
 * about a minute — and {@code -Disthmus.perplexity.all=true} runs all ten.
 */
class PerplexityFiguresTest {
    static final String WIKI = "data/wikitext-2-raw/wiki.test.raw";
    static final String TINY = "data/tinystories/tinystories_validation_first1000.txt";

    /** One llama.cpp figure: model file, text, perplexity, tolerance (relative), text tokens, windows. */
    record Figure(String model, String text, double ppl, double tolerance, int tokens, int chunks, boolean inSuite) {
    }

    static final List<Figure> FIGURES = List.of(
            new Figure("prose-neox-9m/prose-neox-9m-f16.gguf", TINY, 60.728, 0.01, 229_494, 896, true),
            new Figure("prose-neox-9m/prose-neox-9m-f16.gguf", WIKI, 325.52, 0.01, 378_019, 1476, false),
            new Figure("prose-llama-35m/prose-llama-35m-f16.gguf", TINY, 77.331, 0.01, 219_397, 857, false),
            new Figure("prose-llama-35m/prose-llama-35m-f16.gguf", WIKI, 911.14, 0.01, 332_754, 1299, false),
            new Figure("prose-llama-35m/prose-llama-35m-q8_0.gguf", TINY, 77.360, 0.02, 219_397, 857, false),
            new Figure("prose-llama-35m/prose-llama-35m-q8_0.gguf", WIKI, 912.17, 0.02, 332_754, 1299, false),
            new Figure("prose-llama-35m/prose-llama-35m-q4_0.gguf", TINY, 77.940, 0.02, 219_397, 857, false),
            new Figure("prose-llama-35m/prose-llama-35m-q4_0.gguf", WIKI, 914.64, 0.02, 332_754, 1299, false),
            new Figure("prose-llama-35m/prose-llama-35m-q4_k_m.gguf", TINY, 76.989, 0.02, 219_397, 857, false),
            new Figure("prose-llama-35m/prose-llama-35m-q4_k_m.gguf", WIKI, 905.71, 0.02, 332_754, 1299, false));

    @TestFactory
    Stream<DynamicTest> llamaCppFigures() throws Exception {
        boolean all = Boolean.getBoolean("isthmus.perplexity.all");
        return SharedFiles.orSkipped(() -> {
            List<DynamicTest> tests = new ArrayList<>();
            for (Figure f : FIGURES) {
                if (all || f.inSuite()) {
                    Path model = SharedFiles.require("models/" + f.model());
                    Path text = SharedFiles.require(f.text());
                    tests.add(DynamicTest.dynamicTest(f.model() + " on " + text.getFileName(), () -> check(f, model, text)));
                }
            }
            return tests;
        });
    }

    private static void check(Figure f, Path model, Path text) throws Exception {
        try (Engine engine = Engine.open(model, EngineOptions.defaults().withWarmUpMillis(0))) {
            PerplexityResult r = engine.perplexity(Files.readString(text), 256, 0, null);
            System.out.printf(Locale.ROOT, "%s on %s: perplexity %.4f (llama.cpp %.3f, %+.3f %%), %d tokens, %d windows%n",
                    f.model(), text.getFileName(), r.perplexity(), f.ppl(), 100 * (r.perplexity() / f.ppl() - 1),
                    r.textTokens(), r.chunks());
            assertEquals(f.tokens(), r.textTokens(), "text tokens (llama.cpp's tokenization)");
            assertEquals(f.chunks(), r.chunks(), "windows of 256");
            assertEquals(f.chunks() * 127L, r.scoredTokens(), "127 scored tokens per window");
            assertEquals(f.ppl(), r.perplexity(), f.tolerance() * f.ppl(), "perplexity vs llama.cpp");
        }
    }
}
