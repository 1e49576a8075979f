package io.isthmus.runtime.config;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * The {@code kv_cache} section.
 *
 * @param dtype     element type of cached keys and values
 * @param maxTokens cache length in tokens; absent means the model's context length
 */
public record KvCacheSpec(Dtype dtype, OptionalInt maxTokens) {

    public static final KvCacheSpec DEFAULT = new KvCacheSpec(Dtype.F32, OptionalInt.empty());

    /** Element types the cache can hold, by their model.yaml names. */
    public enum Dtype {
        F32("f32"), BF16("bf16");

        private final String yamlName;

        Dtype(String yamlName) {
            this.yamlName = yamlName;
        }

        public String yamlName() {
            return yamlName;
        }
    }

    public KvCacheSpec {
        Objects.requireNonNull(dtype, "dtype");
        if (maxTokens.isPresent() && maxTokens.getAsInt() <= 0) {
            throw new IllegalArgumentException("max_tokens must be positive, got " + maxTokens.getAsInt());
        }
    }
}
