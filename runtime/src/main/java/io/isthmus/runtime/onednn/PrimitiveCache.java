package io.isthmus.runtime.onednn;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Primitives (and weight layouts) by what they compute (a record naming the path, M, N, K and types): every layer's
 * matrix of one shape shares one primitive per M. Primitives live as long as the process, like
 * oneDNN's own cache.
 */
final class PrimitiveCache {
    private final ConcurrentHashMap<Object, Object> entries = new ConcurrentHashMap<>();

    /** The entry for {@code key}, created once; each key type maps to one value type. */
    @SuppressWarnings("unchecked")
    <T> T get(Object key, Supplier<T> create) {
        return (T) entries.computeIfAbsent(key, k -> create.get());
    }
}
