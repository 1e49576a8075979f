package io.isthmus.runtime.api;

import io.isthmus.runtime.config.ModelSpec;
import io.isthmus.runtime.config.ModelSpecParser;
import io.isthmus.runtime.eval.PerplexityEvaluator;
import io.isthmus.runtime.eval.PerplexityResult;
import io.isthmus.runtime.eval.PerplexityText;
import io.isthmus.runtime.generate.Generator;
import io.isthmus.runtime.config.ConfigException;
import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.quant.FormatTarget;
import io.isthmus.runtime.quant.WeightFormats;
import io.isthmus.runtime.onednn.OneDnn;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.numa.RankPlan;
import io.isthmus.runtime.cluster.DriverGroup;
import io.isthmus.runtime.cluster.HostLayout;
import io.isthmus.runtime.cluster.LaunchOptions;
import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.model.ModelConfig;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.Repacking;
import io.isthmus.runtime.model.Transformer;
import io.isthmus.runtime.model.WeightSummary;
import io.isthmus.runtime.format.ModelLoader;
import io.isthmus.runtime.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The embedded API: a loaded model, ready to generate.
 *
 * <pre>{@code
 * try (Engine engine = Engine.open(Path.of("examples/stories260K.yaml"))) {
 *     GenerationResult r = engine.generate(GenerationRequest.of("Once upon a time").withMaxTokens(32),
 *             token -> System.out.print(token.text()));
 * }
 * }</pre>
 *
 * <p>Thread-safety: an Engine may be shared between threads. All model work runs on the engine's
 * own thread (pinned to the first compute CPU). Concurrent {@code generate}, {@code submit} and
 * {@code stream} calls are decoded together: each starts (its prompt runs) as soon as the running
 * ones leave room in a step, and then one forward pass per step serves every running generation
 * (batched decode; at most {@link io.isthmus.runtime.model.ForwardPass#maxBatchRows} rows, a beam
 * search taking B). Listeners run on the engine's thread. {@link #close()} lets the running
 * generations finish, fails queued ones and releases the weights.
 */
public final class Engine implements AutoCloseable {
    private final ModelSpec spec;
    private final Tokenizer tokenizer;
    private final Backend backend;
    private final Generator generator;
    private final RequestScheduler scheduler;
    private double loadMs;
    private final ExecutorService driver;
    private volatile boolean closed;
    private volatile RuntimeException broken;

    private Engine(ModelSpec spec, Tokenizer tokenizer, Backend backend, Generator generator) {
        this.spec = spec;
        this.tokenizer = tokenizer;
        this.backend = backend;
        this.generator = generator;
        ComputePool pool = backend.pool();
        // Every forward pass runs on this one thread, pinned to the compute pool's first CPU, so
        // user threads are never pinned and the pool always has the same driver.
        this.driver = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(() -> {
                pool.pinAsDriver();
                r.run();
            }, "isthmus-generate");
            t.setDaemon(true);
            return t;
        });
        this.scheduler = new RequestScheduler(this, generator, driver);
    }

    /** Opens a model.yaml (.yaml/.yml) or directly a model file or folder, with default options. */
    public static Engine open(Path modelOrYaml) {
        return open(modelOrYaml, EngineOptions.defaults());
    }

    public static Engine open(Path modelOrYaml, EngineOptions options) {
        return open(specOf(modelOrYaml), options);
    }

    /** The spec for a model.yaml path or a bare model path. */
    public static ModelSpec specOf(Path modelOrYaml) {
        String name = modelOrYaml.getFileName() == null ? "" : modelOrYaml.getFileName().toString();
        return name.endsWith(".yaml") || name.endsWith(".yml")
                ? ModelSpecParser.parse(modelOrYaml) : ModelSpec.ofModelPath(modelOrYaml);
    }

    /**
     * Opens {@code spec}. With a world size above 1 (the options', else the yaml's
     * tensor_parallel) this JVM becomes rank 0 and starts the follower JVMs, bound per the rank plan.
     */
    public static Engine open(ModelSpec spec, EngineOptions options) {
        long t0 = System.nanoTime();
        spec.format().ifPresent(f -> checkFormat(spec, f));
        int world = options.worldSize() > 0 ? options.worldSize() : spec.tensorParallel().orElse(1);
        HostLayout hosts = options.hostLayout();
        if (!hosts.isDriverHost()) {
            throw new IllegalArgumentException("an engine is the driver, which runs on host 0, not on " + hosts.describe()
                    + " (that host's launcher runs its ranks as followers)");
        }
        Backend backend = world > 1 || hosts.isMultiHost() ? distributed(spec, options, world, hosts) : local(spec, options);
        Engine engine;
        try {
            ModelConfig config = backend.forward().config();
            Path tokenizerPath = options.tokenizer() != null ? options.tokenizer() : spec.tokenizer().orElse(null);
            Tokenizer tokenizer = ModelTokenizer.load(spec.model(), tokenizerPath, config.vocabSize());
            KvCacheType kv = options.kvCacheType() != null ? options.kvCacheType() : spec.kvCache().dtype();
            int context = options.contextLimit() > 0 ? options.contextLimit()
                    : spec.kvCache().maxTokens().orElse(config.contextLength());
            engine = new Engine(spec, tokenizer, backend, new Generator(backend.forward(), tokenizer, kv, context));
        } catch (RuntimeException | Error e) {
            backend.close();
            throw e;
        }
        if (options.warmUpMillis() > 0) {
            try {
                engine.onDriver(() -> {
                    engine.generator.warmUp(options.warmUpMillis());
                    return null;
                });
            } catch (RuntimeException | Error e) {
                engine.close();
                throw e;
            }
        }
        engine.loadMs = (System.nanoTime() - t0) / 1e6;
        return engine;
    }

    /** An unknown or ill-formed {@code format:} fails before anything is loaded, naming the yaml and the key. */
    private static void checkFormat(ModelSpec spec, FormatSpec format) {
        try {
            FormatTarget.of(format);
        } catch (ConfigException e) {
            throw new ConfigException(spec.source().map(p -> p + ": ").orElse("") + e.getMessage() + " (key 'format')", e);
        }
    }

    private static Backend local(ModelSpec spec, EngineOptions options) {
        OneDnn.useLibrary(spec.onednnLibrary().orElse(null));
        ModelWeights weights = ModelLoader.load(spec.model());
        ComputePool pool = null;
        try {
            weights = Repacking.apply(WeightFormats.convertForCompute(weights, spec.format().orElse(null)));
            int threads = options.threads() > 0 ? options.threads() : spec.threads().orElse(0);
            RankPlan plan = options.rankPlan();
            // a plan of one rank (from --bind-core-list, say) binds this process's threads to its cores
            pool = threads > 0 ? new ComputePool(threads)
                    : plan != null ? new ComputePool(plan.rank(0).cores(), true) : new ComputePool();
            return new LocalBackend(weights, pool, new Transformer(weights, pool));
        } catch (RuntimeException | Error e) {
            if (pool != null) {
                pool.close();
            }
            weights.close();
            throw e;
        }
    }

    /** This host's {@code world} ranks, and on a job of several hosts the other hosts' through the master. */
    private static Backend distributed(ModelSpec spec, EngineOptions options, int world, HostLayout hosts) {
        RankPlan plan = options.rankPlan() != null ? options.rankPlan()
                : new LaunchOptions(OptionalInt.of(world), false, null, Path.of("/")).rankPlan(spec);
        if (plan.worldSize() != world) {
            throw new IllegalArgumentException("the rank plan has " + plan.worldSize() + " ranks, not " + world);
        }
        return new DistributedBackend(DriverGroup.start(spec, plan, hosts, System.err::println));
    }

    public ModelSpec spec() {
        return spec;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public ModelConfig config() {
        return backend.forward().config();
    }

    /** Milliseconds {@link #open} took (reading, mapping, converting, building). */
    public double loadMs() {
        return loadMs;
    }

    /** Compute threads of this engine's pool. */
    public int threads() {
        return backend.pool().size();
    }

    /** Bytes of weights one decode step reads: the bound on decode speed is read bandwidth ÷ this. */
    public long weightBytesPerToken() {
        return backend.weightBytesPerToken();
    }

    /** The formats of the model's weight matrices and their bits per weight. */
    public WeightSummary weightSummary() {
        return backend.weightSummary();
    }

    /** Ranks the model runs on (1 until the worker group lands). */
    public int worldSize() {
        return backend.worldSize();
    }

    /**
     * Generates and waits for the result; tokens go to {@code listener} (on the engine's thread) as
     * they are produced. Interrupting the waiting thread cancels the generation.
     */
    public GenerationResult generate(GenerationRequest request, TokenListener listener) {
        Generation g = submit(request, listener);
        try {
            return g.await();
        } catch (InterruptedException e) {
            g.cancel();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while generating", e);
        }
    }

    public GenerationResult generate(GenerationRequest request) {
        return generate(request, t -> { });
    }

    /**
     * Starts a generation in the background; the handle cancels it and gives its result. It runs
     * batched with the engine's other generations.
     */
    public Generation submit(GenerationRequest request, TokenListener listener) {
        ensureOpen();
        Generation g = new Generation();
        scheduler.submit(new RequestScheduler.Request(request, listener, g));
        return g;
    }

    /** Generated tokens as a blocking iterator; closing it cancels the generation. */
    public TokenStream stream(GenerationRequest request) {
        TokenStream s = new TokenStream();
        s.start(submit(request, s.listener()));
        return s;
    }

    /**
     * Perplexity of {@code text} by llama.cpp's method (see {@link PerplexityEvaluator}), in windows
     * of {@code ctx} tokens, the first {@code maxChunks} of them (all when 0); {@code progress} (may be
     * null) is told after each window, on the engine's thread.
     */
    public PerplexityResult perplexity(String text, int ctx, int maxChunks, PerplexityEvaluator.Progress progress) {
        int[] tokens = PerplexityText.tokenize(tokenizer, text);
        int bos = tokenizer.addsBos() ? tokenizer.bosId() : -1;
        return onDriver(() -> new PerplexityEvaluator(backend.forward(), generator.cacheType())
                .evaluate(tokens, bos, ctx, maxChunks, progress));
    }

    /** Logits over the vocabulary for the token after {@code tokenIds} (a fresh sequence; for scoring and tests). */
    public float[] nextTokenLogits(int[] tokenIds) {
        return onDriver(() -> generator.logitsAfter(tokenIds));
    }

    /** Runs {@code work} on the engine's thread and waits for it. */
    private <T> T onDriver(java.util.concurrent.Callable<T> work) {
        ensureOpen();
        try {
            return driver.submit(() -> {
                ensureOpen();
                return onEngineThread(work);
            }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the engine", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * Runs model work already on the engine's thread. A failure while a tensor-parallel group is
     * mid-step leaves its ranks out of step, so the engine then refuses further work, and reports
     * a dead follower (rank, exit status, last lines) rather than the timeout it caused.
     */
    <T> T onEngineThread(java.util.concurrent.Callable<T> work) throws Exception {
        try {
            return work.call();
        } catch (RuntimeException e) {
            if (backend.worldSize() == 1) {
                throw e;
            }
            RuntimeException cause = backend.explain(e);
            broken = cause;
            throw cause;
        }
    }

    void ensureOpen() {
        if (broken != null) {
            throw new IllegalStateException("engine stopped after a failure: " + broken.getMessage(), broken);
        }
        if (closed) {
            throw new IllegalStateException("engine is closed");
        }
    }

    /**
     * Lets the running generation finish, fails the queued ones, stops the compute threads and
     * unmaps the weights. Idempotent. Not to be called from a token listener.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        scheduler.close();
        driver.execute(() -> {
            if (broken == null) {
                backend.finishOnEngineThread();
            }
        });
        driver.shutdown();
        try {
            while (!driver.awaitTermination(1, java.util.concurrent.TimeUnit.SECONDS)) {
                // a generation is still running; it ends at its token limit or when cancelled
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        backend.close();
    }
}
