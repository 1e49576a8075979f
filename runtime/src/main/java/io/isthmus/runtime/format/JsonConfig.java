package io.isthmus.runtime.format;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;

/**
 * Typed reads from a JSON object such as config.json. A key holding JSON null counts as absent
 * (transformers writes e.g. {@code "head_dim": null}); errors name the key and the file.
 */
public final class JsonConfig {
    private final JsonNode node;
    private final Path path;
    private final String prefix;

    public JsonConfig(JsonNode node, Path path) {
        this(node, path, "");
    }

    private JsonConfig(JsonNode node, Path path, String prefix) {
        this.node = node;
        this.path = path;
        this.prefix = prefix;
    }

    public Path path() {
        return path;
    }

    public boolean has(String key) {
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    /** The nested object {@code key}, or null when absent. */
    public JsonConfig object(String key) {
        if (!has(key)) {
            return null;
        }
        JsonNode v = node.get(key);
        if (!v.isObject()) {
            throw wrongType(key, "an object");
        }
        return new JsonConfig(v, path, prefix + key + ".");
    }

    public int requireInt(String key) {
        if (!has(key)) {
            throw new ModelFormatException(path + ": missing config key '" + prefix + key + "'");
        }
        JsonNode v = node.get(key);
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw wrongType(key, "an integer");
        }
        return v.intValue();
    }

    public int intOr(String key, int fallback) {
        return has(key) ? requireInt(key) : fallback;
    }

    public double requireDouble(String key) {
        if (!has(key)) {
            throw new ModelFormatException(path + ": missing config key '" + prefix + key + "'");
        }
        return doubleOr(key, 0);
    }

    public double doubleOr(String key, double fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonNode v = node.get(key);
        if (!v.isNumber()) {
            throw wrongType(key, "a number");
        }
        return v.doubleValue();
    }

    public boolean boolOr(String key, boolean fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonNode v = node.get(key);
        if (!v.isBoolean()) {
            throw wrongType(key, "true or false");
        }
        return v.booleanValue();
    }

    public String stringOr(String key, String fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonNode v = node.get(key);
        if (!v.isTextual()) {
            throw wrongType(key, "a string");
        }
        return v.textValue();
    }

    /** The first string of the array {@code key} (e.g. "architectures"), or an error naming key and file. */
    public String firstString(String key) {
        JsonNode v = node.get(key);
        if (v == null || !v.isArray() || v.isEmpty() || !v.get(0).isTextual()) {
            throw new ModelFormatException(path + ": missing config key '" + prefix + key + "' (a list of names)");
        }
        return v.get(0).textValue();
    }

    private ModelFormatException wrongType(String key, String expected) {
        return new ModelFormatException(path + ": config key '" + prefix + key + "' should be " + expected
                + ", got " + node.get(key));
    }
}
