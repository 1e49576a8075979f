package io.isthmus.runtime.cluster;

import io.isthmus.runtime.api.Engine;
import io.isthmus.runtime.api.EngineOptions;
import io.isthmus.runtime.api.GenerationRequest;
import io.isthmus.runtime.api.ModelQuantizer;
import io.isthmus.runtime.config.FormatSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Packed weights on two ranks in two JVMs: a yaml whose {@code format:} quantizes at load (every rank
 * quantizes, then takes its shard), and a yaml pointing at a quantized file; both give one rank's
 * greedy tokens. The follower JVM finds the test-only family through the same class path.
 */
class MultiProcessQuantizedTest {
    static final Path MODEL = MultiProcessEngineTest.MODEL;

    static int[] generate(Path yaml, EngineOptions options) {
        try (Engine e = Engine.open(yaml, options)) {
            return e.generate(GenerationRequest.of("Once upon a time").withMaxTokens(16)).tokenIds();
        }
    }

    @Test
    void formatAtLoadAndQuantizedFileOnTwoRanks(@TempDir Path dir) throws Exception {
        Path atLoad = dir.resolve("atload.yaml");
        Files.writeString(atLoad, "model: " + MODEL + "\nformat: test_int8\n");
        Path file = dir.resolve("s.safetensors");
        ModelQuantizer.quantize(new ModelQuantizer.Request(MODEL, null, FormatSpec.parse("test_int8"), null, 0, 1, file),
                new ModelQuantizer.Listener() {
                    @Override
                    public void stage(String name, int total) {
                    }

                    @Override
                    public void step(int done, String detail) {
                    }
                });
        Path fromFile = dir.resolve("file.yaml");
        Files.writeString(fromFile, "model: s.safetensors\n");
        int[] want = generate(atLoad, EngineOptions.defaults().withThreads(1).withWarmUpMillis(0));
        assertArrayEquals(want, generate(atLoad, MultiProcessEngineTest.twoRanks()), "format: at load, 2 ranks");
        assertArrayEquals(want, generate(fromFile, MultiProcessEngineTest.twoRanks()), "quantized file, 2 ranks");
    }
}
