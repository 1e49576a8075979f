package io.isthmus.launcher;

import io.isthmus.runtime.api.Engine;
import io.isthmus.runtime.api.EngineOptions;
import io.isthmus.runtime.config.ModelSpec;
import io.isthmus.runtime.model.KvCacheType;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

/** MODEL and the options every model subcommand shares. */
final class ModelOptions {
    @Parameters(index = "0", paramLabel = "MODEL", description = "A model.yaml, or a model file (GGUF, llama2.c .bin) or Hugging Face folder.")
    Path model;

    @Option(names = "--threads", description = "Compute threads (default: one per CPU this process may use).")
    Integer threads;

    @Option(names = "--tokenizer", description = "Tokenizer file for models that carry none (llama2.c tokenizer.bin).")
    Path tokenizer;

    @Option(names = "--kv-cache", description = "KV cache element type: f32 or bf16 (default: the yaml's, else f32).")
    String kvCache;

    @Option(names = "--ctx", description = "Context length in tokens (default: the yaml's kv_cache.max_tokens, else the model's).")
    Integer context;

    @Option(names = "--warm-up-ms", description = "Time spent at load running a throw-away sequence so the JIT"
            + " compiles the kernels before the prompt (default 300; 0 = none). Counted in load_ms.")
    Long warmUpMs;

    ModelSpec spec() {
        return Engine.specOf(model);
    }

    EngineOptions engineOptions() {
        EngineOptions o = EngineOptions.defaults();
        if (threads != null) {
            if (threads <= 0) {
                throw new IllegalArgumentException("--threads must be positive, got " + threads);
            }
            o = o.withThreads(threads);
        }
        if (tokenizer != null) {
            o = o.withTokenizer(tokenizer);
        }
        if (kvCache != null) {
            o = o.withKvCacheType(KvCacheType.parse(kvCache));
        }
        if (context != null) {
            if (context <= 0) {
                throw new IllegalArgumentException("--ctx must be positive, got " + context);
            }
            o = o.withContextLimit(context);
        }
        if (warmUpMs != null) {
            if (warmUpMs < 0) {
                throw new IllegalArgumentException("--warm-up-ms must be >= 0, got " + warmUpMs);
            }
            o = o.withWarmUpMillis(warmUpMs);
        }
        return o;
    }
}
