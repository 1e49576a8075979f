package io.isthmus.runtime.config;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * One mapping of a loaded model.yaml together with its file and key path, so that every typed
 * read can fail with a message naming both. A key written with no value ({@code key:}) counts as
 * absent.
 */
final class YamlSection {

    private final String file;
    private final String path;
    private final Map<?, ?> map;

    YamlSection(String file, String path, Map<?, ?> map) {
        this.file = file;
        this.path = path;
        this.map = map;
    }

    String keyPath(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    ConfigException error(String message) {
        return new ConfigException(file + ": " + message);
    }

    private ConfigException wrongType(String key, String expected, Object value) {
        return error("'" + keyPath(key) + "' must be " + expected + ", got " + describe(value));
    }

    void rejectUnknownKeys(Set<String> known) {
        for (Object key : map.keySet()) {
            if (!(key instanceof String name) || !known.contains(name)) {
                throw error("unknown key '" + keyPath(String.valueOf(key)) + "' (known here: "
                        + String.join(", ", new TreeSet<>(known)) + ")");
            }
        }
    }

    Object raw(String key) {
        return map.get(key);
    }

    Optional<String> string(String key) {
        Object value = map.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (!(value instanceof String s)) {
            throw wrongType(key, "a string", value);
        }
        return Optional.of(s);
    }

    OptionalInt positiveInt(String key) {
        OptionalInt value = integer(key, "a positive integer");
        if (value.isPresent() && value.getAsInt() <= 0) {
            throw wrongType(key, "a positive integer", value.getAsInt());
        }
        return value;
    }

    OptionalInt integer(String key) {
        return integer(key, "an integer");
    }

    private OptionalInt integer(String key, String expected) {
        Object value = map.get(key);
        if (value == null) {
            return OptionalInt.empty();
        }
        if (!(value instanceof Integer i)) { // SnakeYAML gives Long or BigInteger past the int range
            throw wrongType(key, expected, value);
        }
        return OptionalInt.of(i);
    }

    OptionalLong longInteger(String key) {
        Object value = map.get(key);
        if (value == null) {
            return OptionalLong.empty();
        }
        if (!(value instanceof Integer || value instanceof Long)) {
            throw wrongType(key, value instanceof BigInteger ? "a 64-bit integer" : "an integer", value);
        }
        return OptionalLong.of(((Number) value).longValue());
    }

    Optional<Boolean> bool(String key) {
        Object value = map.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (!(value instanceof Boolean b)) {
            throw wrongType(key, "true or false", value);
        }
        return Optional.of(b);
    }

    OptionalDouble number(String key) {
        Object value = map.get(key);
        if (value == null) {
            return OptionalDouble.empty();
        }
        if (!(value instanceof Number n)) {
            throw wrongType(key, "a number", value);
        }
        return OptionalDouble.of(n.doubleValue());
    }

    /** A nested mapping; {@code key:} with no value gives an empty one. */
    Optional<YamlSection> section(String key) {
        if (!map.containsKey(key)) {
            return Optional.empty();
        }
        Object value = map.get(key);
        if (value == null) {
            return Optional.of(new YamlSection(file, keyPath(key), Map.of()));
        }
        if (!(value instanceof Map<?, ?> nested)) {
            throw wrongType(key, "a mapping", value);
        }
        return Optional.of(new YamlSection(file, keyPath(key), nested));
    }

    static String describe(Object value) {
        return switch (value) {
            case null -> "nothing";
            case String s -> '"' + s + '"';
            case Map<?, ?> _ -> "a mapping";
            case List<?> _ -> "a list";
            default -> String.valueOf(value);
        };
    }
}
