package io.isthmus.runtime.model;

/** Element type of the key/value cache. */
public enum KvCacheType {
    F32,
    /** bfloat16: half the memory, keys and values rounded to nearest even. */
    BF16;

    /** The name used in model.yaml and on the command line. */
    public String yamlName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Parses a model.yaml / CLI value ("f32", "bf16"). */
    public static KvCacheType parse(String s) {
        for (KvCacheType t : values()) {
            if (t.yamlName().equals(s)) {
                return t;
            }
        }
        throw new IllegalArgumentException("kv cache dtype must be f32 or bf16, got '" + s + "'");
    }
}
