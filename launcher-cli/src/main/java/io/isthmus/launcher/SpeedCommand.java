package io.isthmus.launcher;

import io.isthmus.runtime.api.Engine;
import io.isthmus.runtime.api.GenerationRequest;
import io.isthmus.runtime.api.GenerationResult;
import io.isthmus.runtime.generate.SamplingParams;
import io.isthmus.runtime.kernel.ComputePool;
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

    /** How long {@link #warmUp} generates before the timed runs. */
    private static final long WARM_UP_NANOS = 3_000_000_000L;

    @Spec
    CommandSpec command;

    @Mixin
    ModelOptions model;

    @Mixin
    LaunchMixin launch;

    @Option(names = "--prompt-tokens", defaultValue = "128", description = "Prompt length in tokens (default 128).")
    int promptTokens;

    @Option(names = "--gen-tokens", defaultValue = "64", description = "Tokens generated per run (default 64).")
    int genTokens;

    @Option(names = "--repeat", defaultValue = "5", description = "Timed runs after the warm-up (generations for 3 s, at least one; default 5).")
    int repeat;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = command.commandLine().getOut();
        if (launch.runInstead(model.spec(), out, command.commandLine().getErr())) {
            return 0;
        }
        try (Engine engine = Engine.open(model.spec(), launch.apply(model.spec(), model.engineOptions()));
             ComputePool pool = new ComputePool(engine.threads());
             ReadBandwidth bandwidth = ReadBandwidth.on(pool)) {
            String prompt = promptOf(engine, promptTokens);
            GenerationRequest req = new GenerationRequest(prompt, genTokens, SamplingParams.GREEDY, true);
            warmUp(engine, req);
            double bytes = engine.weightBytesPerToken();
            out.printf(Locale.ROOT, "model %s, %d threads, weights read per token %.1f MB%n",
                    model.model, engine.threads(), bytes / 1e6);
            out.printf(Locale.ROOT, "%-4s %10s %10s %12s %12s %10s %8s%n", "run", "prompt t/s", "prompt ms",
                    "decode t/s", "ms/token", "read GB/s", "% bound");
            // Bandwidth and decode alternate, so each ratio compares figures taken moments apart
            // (on a shared host both drift over time).
            double[] ratios = new double[repeat];
            GenerationResult best = null;
            double bestPrompt = 0; // the prompt's best run, which need not be decode's best
            for (int i = 0; i < repeat; i++) {
                double gbs = bandwidth.best(3) / 1e9;
                GenerationResult r = engine.generate(req);
                var t = r.timings();
                ratios[i] = t.tokensPerSecond() / (gbs * 1e9 / bytes);
                out.printf(Locale.ROOT, "%-4d %10.1f %10.1f %12.1f %12.2f %10.1f %7.0f%%%n", i + 1,
                        t.promptTokensPerSecond(), t.promptMs(), t.tokensPerSecond(), t.perTokenMs(), gbs, 100 * ratios[i]);
                bestPrompt = Math.max(bestPrompt, t.promptTokensPerSecond());
                if (best == null || t.perTokenMs() < best.timings().perTokenMs()) {
                    best = r;
                }
            }
            Arrays.sort(ratios);
            var t = best.timings();
            out.printf(Locale.ROOT, "prompt %d tokens: best %.1f tokens/s; decode %d tokens: best %.1f tokens/s"
                            + " (%.2f ms/token); decode at %.0f%% of the read-bandwidth bound (median of %d runs)%n",
                    best.promptTokenIds().length, bestPrompt, best.tokenIds().length,
                    t.tokensPerSecond(), t.perTokenMs(), 100 * ratios[repeat / 2], repeat);
        }
        return 0;
    }

    /**
     * Generations until {@link #WARM_UP_NANOS} have passed (at least one): the page cache, and the
     * JIT, whose C2 compilations of the decode path take longer than one short generation on a
     * small machine and, running on the same cores, slowed the first timed run (prose-llama-35m
     * q8_0 on 2 vCPUs: 2.0-2.8 ms/token in the first of five runs after a single warm-up
     * generation, 1.6-1.8 in the others).
     */
    private static void warmUp(Engine engine, GenerationRequest req) {
        long start = System.nanoTime();
        do {
            engine.generate(req);
        } while (System.nanoTime() - start < WARM_UP_NANOS);
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
