package io.isthmus.runtime.config;

import io.isthmus.runtime.model.KvCacheType;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * The {@code kv_cache} section.
 *
 * @param dtype     element type of cached keys and values
 * @param maxTokens cache length in tokens; absent means the model's context length
 */
public record KvCacheSpec(KvCacheType dtype, OptionalInt maxTokens) {

    public static final KvCacheSpec DEFAULT = new KvCacheSpec(KvCacheType.F32, OptionalInt.empty());

    public KvCacheSpec {
        Objects.requireNonNull(dtype, "dtype");
        if (maxTokens.isPresent() && maxTokens.getAsInt() <= 0) {
            throw new IllegalArgumentException("max_tokens must be positive, got " + maxTokens.getAsInt());
        }
    }
}
