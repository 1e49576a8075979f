package io.isthmus.launcher;

import io.isthmus.runtime.api.Engine;
import io.isthmus.runtime.api.GenerationRequest;
import io.isthmus.runtime.api.GenerationResult;
import io.isthmus.runtime.generate.SamplingParams;
import io.isthmus.runtime.kernel.bench.ReadBandwidth;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code launcher MODEL speed}: prompt and decode tokens/s, and decode speed against the bound
 * set by the read bandwidth measured in the same run (bytes of weights per token ÷ bandwidth).
 */
@Command(name = "speed", mixinStandardHelpOptions = true,
        description = "Measure prompt and decode tokens/s against the machine's read bandwidth.")
final class SpeedCommand implements Callable<Integer> {
    /** Plain English filler from which prompts of a given token count are cut. */
    private static final String FILLER = "The old ship sailed slowly across the quiet bay while the crew sang songs"
            + " about home, and the captain watched the distant lights of the harbour grow brighter. ";

    @Spec
    CommandSpec command;

    @Mixin
    ModelOptions model;

    @Option(names = "--prompt-tokens", defaultValue = "128", description = "Prompt length in tokens (default 128).")
    int promptTokens;

    @Option(names = "--gen-tokens", defaultValue = "64", description = "Tokens generated per run (default 64).")
    int genTokens;

    @Option(names = "--repeat", defaultValue = "3", description = "Timed runs after one warm-up; the best is reported.")
    int repeat;

    @Override
    public Integer call() {
        PrintWriter out = command.commandLine().getOut();
        try (Engine engine = Engine.open(model.spec(), model.engineOptions())) {
            String prompt = promptOf(engine, promptTokens);
            GenerationRequest req = new GenerationRequest(prompt, genTokens, SamplingParams.GREEDY, true);
            engine.generate(req); // warm-up: JIT and page cache
            GenerationResult best = null;
            for (int i = 0; i < repeat; i++) {
                GenerationResult r = engine.generate(req);
                if (best == null || r.timings().perTokenMs() < best.timings().perTokenMs()) {
                    best = r;
                }
            }
            double gbs = ReadBandwidth.measure(engine.threads()) / 1e9;
            double bytes = engine.weightBytesPerToken();
            double boundTokS = gbs * 1e9 / bytes;
            var t = best.timings();
            out.printf(Locale.ROOT, "model %s, %d threads, prompt %d tokens, %d generated%n",
                    model.model, engine.threads(), best.promptTokenIds().length, best.tokenIds().length);
            out.printf(Locale.ROOT, "prompt: %.1f tokens/s (%.1f ms)%n", t.promptTokensPerSecond(), t.promptMs());
            out.printf(Locale.ROOT, "decode: %.1f tokens/s (%.2f ms/token)%n", t.tokensPerSecond(), t.perTokenMs());
            out.printf(Locale.ROOT, "weights read per token: %.1f MB; read bandwidth (same run): %.1f GB/s;"
                    + " bound %.1f tokens/s; decode at %.0f%% of the bound%n",
                    bytes / 1e6, gbs, boundTokS, 100 * t.tokensPerSecond() / boundTokS);
        }
        return 0;
    }

    /** A prompt of about {@code n} tokens (BOS included) cut from the filler text. */
    static String promptOf(Engine engine, int n) {
        var tok = engine.tokenizer();
        String text = FILLER.repeat(1 + n / 20);
        int[] ids = tok.encode(text, false);
        int keep = Math.max(1, n - (tok.addsBos() ? 1 : 0));
        return tok.decode(Arrays.copyOf(ids, Math.min(keep, ids.length))).strip();
    }
}
