package io.isthmus.launcher.bench;

import io.isthmus.runtime.api.Engine;
import io.isthmus.runtime.api.Generation;
import io.isthmus.runtime.api.GenerationRequest;
import io.isthmus.runtime.api.GenerationResult;
import io.isthmus.runtime.generate.BeamParams;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Latency runs on an open engine, as DeepSpeed's Xeon latency experiments: for each prompt length,
 * beam width and batch, warm-up generations until the JIT is quiet, then {@code repeat} timed ones
 * of exactly {@code outputTokens} tokens (end-of-text ignored), taken in rounds across the points.
 * Prompts are token ids (BOS, then a fixed pattern over the vocabulary), so any model, synthetic
 * ones included, takes them.
 */
public final class LatencyBench {
    /**
     * Warm-up rounds go on while a round spent this share of its time or more compiling: a C2
     * compilation takes one of the CPUs the compute threads are pinned to, and the thread it
     * displaces holds up every region it is part of (on the 2-CPU VM the compiler still took
     * 0.5 s of every 5 s six seconds into a prose-llama bench, after one warm-up run per point).
     */
    static final double QUIET_JIT_SHARE = 0.02;
    /** Warm-up stops after this long all the same (a machine whose JIT never settles). */
    static final long MAX_WARM_UP_NANOS = 30_000_000_000L;

    private LatencyBench() {
    }

    /** Called after each generation (warm-up ones included), for a progress display. */
    public interface Progress {
        void runDone();

        /** {@code runs} more generations than announced are coming (another warm-up round). */
        default void moreRuns(int runs) {
        }
    }

    /** One point to time: its request, its batch and the timings of its runs. */
    private record Spec(int inputTokens, int beams, int batch, GenerationRequest request, double[] promptMs,
                        double[] perTokenMs) {
    }

    /**
     * Runs every (prompt length, beam width, batch) point; a batch of n is n requests with the same
     * prompt submitted at once, which the engine decodes together. Warm-up rounds run every point
     * once, until a round compiles for less than {@link #QUIET_JIT_SHARE} of its time (at least
     * one round, at most {@link #MAX_WARM_UP_NANOS}), then the repeats go round by round — round r
     * runs each point once — so a machine whose speed drifts (a shared VM) moves every point alike
     * and the ratios between points hold.
     */
    public static List<LatencyPoint> run(Engine engine, int ranks, int[] inputTokens, int outputTokens, int[] beams,
                                         int[] batches, int repeat, Progress progress) throws InterruptedException {
        int context = engine.config().contextLength();
        List<Spec> specs = new ArrayList<>();
        for (int in : inputTokens) {
            if (in + outputTokens > context) {
                throw new IllegalArgumentException("--input-tokens " + in + " + --output-tokens " + outputTokens
                        + " exceed the model's context of " + context + " tokens");
            }
            int[] prompt = prompt(in, engine.config().vocabSize(), engine.tokenizer().bosId());
            for (int b : beams) {
                for (int n : batches) {
                    GenerationRequest req = GenerationRequest.ofTokens(prompt).withMaxTokens(outputTokens)
                            .withIgnoreEos(true).withBeams(BeamParams.of(b));
                    specs.add(new Spec(in, b, n, req, new double[repeat], new double[repeat]));
                }
            }
        }
        warmUp(engine, specs, progress);
        for (int r = 0; r < repeat; r++) {
            for (Spec spec : specs) {
                List<GenerationResult> res = runBatch(engine, spec.request(), spec.batch());
                spec.promptMs()[r] = res.stream().mapToDouble(x -> x.timings().promptMs()).average().orElseThrow();
                spec.perTokenMs()[r] = res.stream().mapToDouble(x -> x.timings().perTokenMs()).average().orElseThrow();
                progress.runDone();
            }
        }
        List<LatencyPoint> points = new ArrayList<>();
        for (Spec spec : specs) {
            points.add(new LatencyPoint(ranks, spec.inputTokens(), outputTokens, spec.beams(), spec.batch(),
                    spec.promptMs(), spec.perTokenMs()));
        }
        return points;
    }

    /** Rounds of every point until the JIT is quiet: compiled code, page cache, first touch of the KV cache. */
    private static void warmUp(Engine engine, List<Spec> specs, Progress progress) throws InterruptedException {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime();
        while (true) {
            long roundStart = System.nanoTime();
            long jitStart = timed ? jit.getTotalCompilationTime() : 0;
            for (Spec spec : specs) {
                runBatch(engine, spec.request(), spec.batch());
                progress.runDone();
            }
            double roundMs = (System.nanoTime() - roundStart) / 1e6;
            boolean quiet = !timed || jit.getTotalCompilationTime() - jitStart < QUIET_JIT_SHARE * roundMs;
            if (quiet || System.nanoTime() - start > MAX_WARM_UP_NANOS) {
                return;
            }
            progress.moreRuns(specs.size());
        }
    }

    private static List<GenerationResult> runBatch(Engine engine, GenerationRequest req, int n) throws InterruptedException {
        List<Generation> running = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            running.add(engine.submit(req, t -> { }));
        }
        List<GenerationResult> results = new ArrayList<>();
        for (Generation g : running) {
            results.add(g.await());
        }
        return results;
    }

    /** {@code n} token ids: BOS (when the model has one), then ids striding over the vocabulary. */
    static int[] prompt(int n, int vocab, int bos) {
        int[] ids = new int[n];
        int first = 0;
        if (bos >= 0 && n > 0) {
            ids[0] = bos;
            first = 1;
        }
        for (int i = first; i < n; i++) {
            ids[i] = 3 + (int) ((i * 7919L) % (vocab - 3));
        }
        return ids;
    }
}
