package io.isthmus.runtime.api;

import io.isthmus.runtime.model.KvCacheType;

import java.nio.file.Path;

/**
 * Settings that override the model.yaml (or its defaults) when opening an {@link Engine}.
 * Null / 0 fields mean "as the yaml says, else the default".
 *
 * @param threads      compute threads, one per CPU the process may use when 0
 * @param tokenizer    tokenizer file for models that carry none (llama2.c checkpoints)
 * @param kvCacheType  f32 or bf16 KV cache
 * @param contextLimit positions per sequence (defaults to the model's context length)
 */
public record EngineOptions(int threads, Path tokenizer, KvCacheType kvCacheType, int contextLimit) {

    public static EngineOptions defaults() {
        return new EngineOptions(0, null, null, 0);
    }

    public EngineOptions withThreads(int n) {
        return new EngineOptions(n, tokenizer, kvCacheType, contextLimit);
    }

    public EngineOptions withTokenizer(Path p) {
        return new EngineOptions(threads, p, kvCacheType, contextLimit);
    }

    public EngineOptions withKvCacheType(KvCacheType t) {
        return new EngineOptions(threads, tokenizer, t, contextLimit);
    }

    public EngineOptions withContextLimit(int n) {
        return new EngineOptions(threads, tokenizer, kvCacheType, n);
    }
}
