package io.isthmus.runtime.api;

import io.isthmus.runtime.config.ConfigException;
import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.format.ModelLoader;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.quant.PackedMatrix;
import io.isthmus.runtime.testing.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link ModelQuantizer}: the written file runs without its source — same logits as the model
 * quantized at load (model.yaml {@code format:}), same tokenizer for GGUF, Hugging Face and llama2.c
 * sources — calibration changes what the family chooses, and bad formats are named.
 */
class ModelQuantizerTest {
    static final Path MODEL = Path.of("../examples/models/stories260K.gguf").toAbsolutePath().normalize();
    static final String TEXT = "Once upon a time, there was a little girl named Lily. She loved to play outside"
            + " in the park.\n\nOne day, she saw a big, red ball — «très» joli! 3.14 @-@ naïve  café";

    static final ModelQuantizer.Listener QUIET = new ModelQuantizer.Listener() {
        @Override
        public void stage(String name, int total) {
        }

        @Override
        public void step(int done, String detail) {
        }
    };

    static ModelQuantizer.Result quantize(Path model, Path tokenizer, String format, Path calibration, Path out) {
        return ModelQuantizer.quantize(new ModelQuantizer.Request(model, tokenizer, FormatSpec.parse(format), calibration,
                4096, 1, out), QUIET);
    }

    static EngineOptions options() {
        return EngineOptions.defaults().withThreads(1).withWarmUpMillis(0);
    }

    @Test
    void theFileRunsLikeTheModelQuantizedAtLoad(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("s.safetensors");
        ModelQuantizer.Result r = quantize(MODEL, null, "test_int8", null, out);
        assertEquals(Files.size(out), r.fileBytes());
        assertEquals("test_int8,q8_0", r.weights().formats());
        Path yaml = dir.resolve("atload.yaml");
        Files.writeString(yaml, "model: " + MODEL + "\nformat: test_int8\n");
        Path fileYaml = dir.resolve("file.yaml");
        Files.writeString(fileYaml, "model: s.safetensors\n");
        try (Engine atLoad = Engine.open(yaml, options()); Engine fromFile = Engine.open(fileYaml, options())) {
            int[] prompt = atLoad.tokenizer().encode("Once upon a time", true);
            float[] want = atLoad.nextTokenLogits(prompt);
            float[] got = fromFile.nextTokenLogits(prompt);
            for (int i = 0; i < want.length; i++) { // the same bytes (QuantizedFileTest); JIT states may reorder sums
                assertEquals(want[i], got[i], 1e-5f * Math.max(1, Math.abs(want[i])), "logit " + i);
            }
            GenerationRequest req = GenerationRequest.of("Once upon a time").withMaxTokens(24);
            assertArrayEquals(atLoad.generate(req).tokenIds(), fromFile.generate(req).tokenIds());
            assertEquals("test_int8,q8_0", fromFile.weightSummary().formats());
        }
    }

    @Test
    void theTokenizerTravelsWithTheFile(@TempDir Path dir) throws Exception {
        List<Path[]> sources = new ArrayList<>(); // model, tokenizer override
        sources.add(new Path[] {MODEL, null});
        sources.add(new Path[] {SharedFiles.require("models/stories260K/stories260K.bin"),
                SharedFiles.require("models/stories260K/tok512.bin")});
        sources.add(new Path[] {SharedFiles.require("models/prose-neox-9m"), null});
        for (Path[] s : sources) {
            Path out = dir.resolve(s[0].getFileName() + ".safetensors");
            quantize(s[0], s[1], "q8_0", null, out);
            try (Engine source = Engine.open(s[0], s[1] == null ? options() : options().withTokenizer(s[1]));
                 Engine file = Engine.open(out, options())) {
                assertArrayEquals(source.tokenizer().encode(TEXT, true), file.tokenizer().encode(TEXT, true), s[0].toString());
                assertEquals(source.tokenizer().bosId(), file.tokenizer().bosId());
                assertEquals(source.tokenizer().eosId(), file.tokenizer().eosId());
            }
        }
    }

    @Test
    void calibrationWeighsTheSearch(@TempDir Path dir) throws Exception {
        Path text = SharedFiles.require("data/tinystories/tinystories_validation_first1000.txt");
        Path plain = dir.resolve("plain.safetensors");
        Path calibrated = dir.resolve("calibrated.safetensors");
        quantize(MODEL, null, "test_int8", null, plain);
        ModelQuantizer.Result r = quantize(MODEL, null, "test_int8", text, calibrated);
        assertEquals(4096, r.calibrationTokens());
        try (ModelWeights a = ModelLoader.load(plain); ModelWeights b = ModelLoader.load(calibrated)) {
            int differ = 0;
            for (WeightMatrix m : a.packed().values()) {
                MemorySegment sa = ((PackedMatrix) m).parts().get("scales");
                MemorySegment sb = ((PackedMatrix) b.packed().get(m.name())).parts().get("scales");
                if (sa.mismatch(sb) >= 0) {
                    differ++;
                }
            }
            assertTrue(differ > 0, "calibration changed no scale");
        }
    }

    @Test
    void unknownFormatsFailBeforeLoadingAndNameTheYaml(@TempDir Path dir) throws Exception {
        ConfigException e = assertThrows(ConfigException.class,
                () -> quantize(MODEL, null, "nf9", null, dir.resolve("x.safetensors")));
        assertTrue(e.getMessage().startsWith("format 'nf9' is not supported by this build (supported: bf16, f16, f32, q4_0, q8_0, "),
                e.getMessage());
        Path yaml = dir.resolve("m.yaml");
        Files.writeString(yaml, "model: " + MODEL + "\nformat: nf9-g64\n");
        e = assertThrows(ConfigException.class, () -> Engine.open(yaml, options()).close());
        assertTrue(e.getMessage().startsWith(yaml + ": format 'nf9-g64' is not supported by this build (supported: "),
                e.getMessage());
        assertTrue(e.getMessage().endsWith(") (key 'format')"), e.getMessage());
        Files.writeString(yaml, "model: " + MODEL + "\nformat: q8_0+sparse\n");
        e = assertThrows(ConfigException.class, () -> Engine.open(yaml, options()).close());
        assertEquals(yaml + ": format 'q8_0+sparse': q8_0 is a GGUF type and takes no group size or +sparse suffix"
                + " (key 'format')", e.getMessage());
        assertFalse(Files.exists(dir.resolve("x.safetensors")));
    }
}
