package io.isthmus.runtime.synth;

import io.isthmus.runtime.api.Engine;
import io.isthmus.runtime.api.EngineOptions;
import io.isthmus.runtime.api.GenerationRequest;
import io.isthmus.runtime.api.GenerationResult;
import io.isthmus.runtime.format.GgufFile;
import io.isthmus.runtime.format.ModelLoader;
import io.isthmus.runtime.generate.BeamParams;
import io.isthmus.runtime.model.Architecture;
import io.isthmus.runtime.model.ModelConfig;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tokenizer.Tokenizer;
import io.isthmus.runtime.tokenizer.TokenizerLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/** Synthetic models round-trip: written as GGUF, loaded by the normal loader, they generate; the seed fixes the file. */
class SyntheticModelTest {
    static final SyntheticShape TINY_NEOX = new SyntheticShape("tiny-neox", "gptneox", 64, 2, 4, 4, 256, 300, 128, 8);

    @Test
    void tinyLlamaLoadsAndGenerates(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tiny.gguf");
        AtomicLong progress = new AtomicLong();
        SyntheticModelWriter.write(SyntheticShape.TINY, GgmlType.Q8_0, 7, file, 2, progress::addAndGet);
        assertEquals(SyntheticModelWriter.bytes(SyntheticShape.TINY, GgmlType.Q8_0), progress.get(), "progress adds up");
        try (ModelWeights w = ModelLoader.load(file)) {
            ModelConfig c = w.config();
            assertEquals(Architecture.LLAMA, c.architecture());
            assertEquals(64, c.dim());
            assertEquals(2, c.layers());
            assertEquals(4, c.heads());
            assertEquals(2, c.kvHeads());
            assertEquals(192, c.ffnDim());
            assertEquals(320, c.vocabSize());
            assertEquals(GgmlType.Q8_0, w.tensor("blk.1.ffn_down.weight").type());
        }
        try (GgufFile g = GgufFile.open(file)) {
            Tokenizer t = TokenizerLoader.fromGguf(g);
            int[] ids = t.encode("hello world", true);
            assertEquals(1, ids[0], "BOS");
            assertEquals("hello world", t.decode(Arrays.copyOfRange(ids, 1, ids.length)).strip());
        }
        try (Engine e = Engine.open(file, EngineOptions.defaults().withThreads(1).withWarmUpMillis(0))) {
            GenerationResult r = e.generate(GenerationRequest.of("hello").withMaxTokens(12).withIgnoreEos(true));
            assertEquals(12, r.tokenIds().length);
            GenerationResult b = e.generate(GenerationRequest.of("hello").withMaxTokens(6).withIgnoreEos(true)
                    .withBeams(BeamParams.of(4)));
            assertEquals(6, b.tokenIds().length);
            assertTrue(Double.isFinite(b.score()), "random weights give finite scores");
        }
    }

    @Test
    void gptNeoxShapeLoadsAndGenerates(@TempDir Path dir) {
        Path file = dir.resolve("neox.gguf");
        SyntheticModelWriter.write(TINY_NEOX, GgmlType.F16, 1, file, 1, b -> { });
        try (Engine e = Engine.open(file, EngineOptions.defaults().withThreads(1).withWarmUpMillis(0))) {
            assertEquals(Architecture.GPT_NEOX, e.config().architecture());
            assertTrue(e.config().parallelResidual());
            assertEquals(8, e.config().ropeDims());
            assertEquals(5, e.generate(GenerationRequest.ofTokens(new int[] {1, 50, 60}).withMaxTokens(5)
                    .withIgnoreEos(true)).tokenIds().length);
        }
    }

    @Test
    void theSeedFixesTheFileWhateverTheThreads(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.gguf");
        Path b = dir.resolve("b.gguf");
        Path c = dir.resolve("c.gguf");
        SyntheticModelWriter.write(SyntheticShape.TINY, GgmlType.Q4_0, 3, a, 1, x -> { });
        SyntheticModelWriter.write(SyntheticShape.TINY, GgmlType.Q4_0, 3, b, 3, x -> { });
        SyntheticModelWriter.write(SyntheticShape.TINY, GgmlType.Q4_0, 4, c, 1, x -> { });
        assertEquals(-1, Files.mismatch(a, b));
        assertNotEquals(-1, Files.mismatch(a, c));
    }

    @Test
    void realShapesAndBadNames() {
        assertEquals(6.74, SyntheticShape.LLAMA2_7B.parameters() / 1e9, 0.01);
        assertEquals(13.0, SyntheticShape.LLAMA2_13B.parameters() / 1e9, 0.1);
        assertEquals(6.05, SyntheticShape.GPTJ_6B.parameters() / 1e9, 0.05);
        assertEquals(3.79, SyntheticModelWriter.bytes(SyntheticShape.LLAMA2_7B, GgmlType.Q4_0) / 1e9, 0.01);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SyntheticShape.named("llama3-8b")).getMessage()
                .contains("llama2-7b, llama2-13b, gptj-6b, tiny"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SyntheticModelWriter.type("q4_k")).getMessage()
                .contains("q4_k"));
    }
}
