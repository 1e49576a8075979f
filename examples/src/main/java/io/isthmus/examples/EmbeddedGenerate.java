package io.isthmus.examples;

import io.isthmus.runtime.api.Engine;
import io.isthmus.runtime.api.GeneratedToken;
import io.isthmus.runtime.api.GenerationRequest;
import io.isthmus.runtime.api.GenerationResult;
import io.isthmus.runtime.api.TokenStream;
import io.isthmus.runtime.generate.SamplingParams;

import java.nio.file.Path;

/**
 * The embedded API in a few lines: open a model, stream a greedy continuation to a callback, then
 * iterate over a sampled one and stop it early.
 *
 * <pre>mvn -q -pl examples -am package -DskipTests && java --add-modules jdk.incubator.vector \
 *   --enable-native-access=ALL-UNNAMED -cp "launcher-cli/target/lib/*:examples/target/classes" \
 *   io.isthmus.examples.EmbeddedGenerate examples/stories260K.yaml</pre>
 */
public final class EmbeddedGenerate {
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args.length > 0 ? args[0] : "examples/stories260K.yaml");
        try (Engine engine = Engine.open(model)) {
            // 1. greedy, tokens streamed to a callback
            GenerationRequest greedy = GenerationRequest.of("Once upon a time").withMaxTokens(40);
            System.out.print(greedy.prompt());
            GenerationResult r = engine.generate(greedy, token -> System.out.print(token.text()));
            System.out.printf("%n[%d tokens, %.1f tokens/s, stop: %s]%n",
                    r.tokenIds().length, r.timings().tokensPerSecond(), r.stopReason());

            // 2. sampled, as an iterator; closing the stream cancels the rest
            GenerationRequest sampled = GenerationRequest.of("The little dog").withMaxTokens(200)
                    .withSampling(SamplingParams.GREEDY.withTemperature(0.8).withTopP(0.95).withSeed(7));
            System.out.print(sampled.prompt());
            try (TokenStream stream = engine.stream(sampled)) {
                int n = 0;
                for (GeneratedToken t : stream) {
                    System.out.print(t.text());
                    if (++n == 20) {
                        break; // leaving the try block cancels the generation
                    }
                }
            }
            System.out.println(" [stopped after 20 tokens]");
        }
    }
}
