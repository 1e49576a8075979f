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

    /**
     * The entry for {@code key}; each key type maps to one value type. Creation may itself look up
     * other entries (a support check builds a plan), so it runs outside the map's locks: two threads
     * asking at once may both create one, and the first stored wins (the other is left to be freed
     * with the process, as cached primitives are).
     */
    @SuppressWarnings("unchecked")
    <T> T get(Object key, Supplier<T> create) {
        Object value = entries.get(key);
        if (value == null) {
            Object created = create.get();
            Object earlier = entries.putIfAbsent(key, created);
            value = earlier != null ? earlier : created;
        }
        return (T) value;
    }
}
