package io.isthmus.runtime.model;

/** Element type of the key/value cache. */
public enum KvCacheType {
    F32,
    /** bfloat16: half the memory, keys and values rounded to nearest even. */
    BF16;

    /** Parses a model.yaml / CLI value ("f32", "bf16"). */
    public static KvCacheType parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "f32" -> F32;
            case "bf16" -> BF16;
            default -> throw new IllegalArgumentException("kv cache dtype must be f32 or bf16, got '" + s + "'");
        };
    }
}
