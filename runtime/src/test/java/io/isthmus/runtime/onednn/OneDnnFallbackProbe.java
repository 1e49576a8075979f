package io.isthmus.runtime.onednn;

import io.isthmus.runtime.api.Engine;
import io.isthmus.runtime.api.EngineOptions;
import io.isthmus.runtime.api.GenerationRequest;
import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.config.ModelSpec;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Child JVM of {@link OneDnnLoaderTest}: opens {@code args[0]} as bf16 with every product of one
 * row or more sent to oneDNN, generates 16 greedy tokens and prints their ids on stdout.
 */
public final class OneDnnFallbackProbe {
    public static void main(String[] args) {
        System.setProperty("isthmus.onednn.min-rows", "1");
        ModelSpec spec = ModelSpec.ofModelPath(Path.of(args[0])).withFormat(FormatSpec.parse("bf16"));
        try (Engine engine = Engine.open(spec, EngineOptions.defaults().withThreads(2).withWarmUpMillis(0))) {
            int[] ids = engine.generate(GenerationRequest.of("Once upon a time").withMaxTokens(16)).tokenIds();
            System.out.println("tokens " + Arrays.toString(ids));
        }
    }
}
