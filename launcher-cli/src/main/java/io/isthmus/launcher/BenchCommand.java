package io.isthmus.launcher;

import io.isthmus.launcher.bench.BenchReport;
import io.isthmus.launcher.bench.LatencyBench;
import io.isthmus.launcher.bench.LatencyPoint;
import io.isthmus.numa.RankPlan;
import io.isthmus.runtime.api.Engine;
import io.isthmus.runtime.api.EngineOptions;
import io.isthmus.runtime.config.ModelSpec;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.Callable;

/**
 * {@code launcher [launch options] MODEL bench --input-tokens 32,256,1024 --output-tokens 32 --beams 1,4
 * --ranks 1,2 [--batch 1,8]}: latency experiments as in DeepSpeed's Xeon post. For each rank count an engine is
 * opened with the launch options' binding (a --bind-core-list split among that many ranks); for each
 * prompt length, beam width and batch (sequences submitted together, decoded in one batch), warm-up runs
 * (rounds of every point until the JIT is quiet, see {@link LatencyBench}) and --repeat timed runs give the median and p90 of the
 * prompt latency and of the per-token latency of the 2nd and later tokens. Writes CSV, JSON, a
 * Markdown table and charts against rank count to --out.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Latency experiments: prompt and per-token latency against prompt length, beams and rank count.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Mixin
    ModelOptions model;

    @Mixin
    LaunchMixin launch;

    @Option(names = "--input-tokens", split = ",", defaultValue = "32,256,1024", paramLabel = "N,...",
            description = "Prompt lengths in tokens (default 32,256,1024).")
    int[] inputTokens;

    @Option(names = "--output-tokens", defaultValue = "32", description = "Tokens generated per run (default 32).")
    int outputTokens;

    @Option(names = "--beams", split = ",", defaultValue = "1,4", paramLabel = "B,...",
            description = "Beam widths; 1 = greedy (default 1,4).")
    int[] beams;

    @Option(names = "--batch", split = ",", defaultValue = "1", paramLabel = "N,...",
            description = "Sequences decoded at once, submitted together through the embedded API (default 1).")
    int[] batches;

    @Option(names = "--ranks", split = ",", paramLabel = "R,...",
            description = "Rank counts to compare (default: the launch options' --num-ranks, else 1).")
    int[] ranks;

    @Option(names = "--repeat", defaultValue = "3", description = "Timed runs per point after the warm-up rounds (default 3).")
    int repeat;

    @Option(names = "--out", defaultValue = "bench-results", paramLabel = "DIR",
            description = "Folder for bench.csv, bench.json, bench.md and the charts (default bench-results).")
    Path outDir;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = command.commandLine().getOut();
        ModelSpec spec = model.spec();
        if (launch.hostLayout().isMultiHost()) {
            throw new IllegalArgumentException("bench compares rank counts on one host; --hosts is for generate,"
                    + " speed and perplexity");
        }
        if (launch.runInstead(spec, out, command.commandLine().getErr())) {
            return 0;
        }
        check();
        int[] rankCounts = ranks != null ? ranks : new int[] {launch.numRanks != null ? launch.numRanks : 1};
        List<LatencyPoint> points = new ArrayList<>();
        Map<String, String> about = new LinkedHashMap<>();
        about.put("model", String.valueOf(model.model));
        about.put("command", "launcher " + String.join(" ", command.commandLine().getParseResult().originalArgs()));
        about.put("host", hostDescription());
        long runs = (long) rankCounts.length * inputTokens.length * beams.length * batches.length * (1 + repeat);
        try (ProgressBar bar = new ProgressBarBuilder().setTaskName("bench").setInitialMax(runs)
                .setStyle(ProgressBarStyle.ASCII).setUnit(" runs", 1).continuousUpdate().build()) {
            for (int r : rankCounts) {
                bar.setExtraMessage(" opening " + r + " rank(s)");
                try (Engine engine = Engine.open(spec, options(spec, r))) {
                    about.put("threads_per_rank_at_" + r + "_ranks", String.valueOf(engine.threads()));
                    about.put("weights_read_per_token_mb_per_rank_at_" + r + "_ranks",
                            String.format(Locale.ROOT, "%.1f", engine.weightBytesPerToken() / 1e6));
                    bar.setExtraMessage(" " + r + " rank(s)");
                    points.addAll(LatencyBench.run(engine, engine.worldSize(), inputTokens, outputTokens, beams, batches,
                            repeat, new LatencyBench.Progress() {
                                @Override
                                public void runDone() {
                                    bar.step();
                                }

                                @Override
                                public void moreRuns(int more) {
                                    bar.maxHint(bar.getMax() + more);
                                }
                            }));
                }
            }
        }
        BenchReport report = new BenchReport(points, about);
        out.print(report.writeTables(outDir).stream().map(p -> "wrote " + p + "\n").reduce("", String::concat));
        out.print(BenchChartCommand.charts(report, outDir, command.commandLine().getErr()));
        out.println();
        out.print(Files.readString(outDir.resolve("bench.md")));
        out.flush();
        return 0;
    }

    /** The engine options for {@code ranks} ranks: a rank plan from the launch options where binding was asked for or ranks > 1. */
    private EngineOptions options(ModelSpec spec, int ranks) {
        EngineOptions o = model.engineOptions();
        boolean bound = launch.bindCoresToRank || launch.coreList != null;
        if (ranks == 1 && !bound) {
            return o.withWorldSize(1); // one process on every CPU it may use, whatever the yaml's tensor_parallel
        }
        RankPlan plan = launch.withRanks(OptionalInt.of(ranks)).rankPlan(spec);
        return o.withRankPlan(plan);
    }

    private void check() {
        for (int[] list : List.of(inputTokens, beams, batches, ranks == null ? new int[] {1} : ranks)) {
            if (Arrays.stream(list).anyMatch(v -> v <= 0)) {
                throw new IllegalArgumentException("--input-tokens, --beams, --batch and --ranks take positive numbers, got "
                        + Arrays.toString(list));
            }
        }
        if (outputTokens < 2) {
            throw new IllegalArgumentException("--output-tokens must be at least 2 (per-token latency is of the 2nd and later), got "
                    + outputTokens);
        }
        if (repeat <= 0) {
            throw new IllegalArgumentException("--repeat must be positive, got " + repeat);
        }
    }

    private static String hostDescription() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse(cpu);
        } catch (java.io.IOException e) {
            // leave it unknown
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " CPUs";
    }
}
