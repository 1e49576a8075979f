package io.isthmus.runtime.config;

import io.isthmus.runtime.model.KvCacheType;

import io.isthmus.runtime.generate.BeamParams;
import io.isthmus.runtime.generate.SamplingParams;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads a model.yaml (DESIGN.md §7) into a {@link ModelSpec}. Unknown keys, wrong types, values
 * out of range, missing files and YAML syntax errors all become a {@link ConfigException} whose
 * one-line message starts with the file and names the key.
 */
public final class ModelSpecParser {

    private static final Set<String> TOP_KEYS = Set.of(
            "model", "tokenizer", "format", "tensor_parallel", "threads", "kv_cache", "generation", "server",
            "onednn_library");
    private static final Set<String> KV_CACHE_KEYS = Set.of("dtype", "max_tokens");
    private static final Set<String> GENERATION_KEYS = Set.of("max_new_tokens", "temperature", "top_p", "top_k",
            "min_p", "repetition_penalty", "repeat_last_n", "seed", "beams", "length_penalty", "early_stopping");
    private static final Set<String> SERVER_KEYS = Set.of("host", "port");

    private ModelSpecParser() {
    }

    public static ModelSpec parse(Path yaml) {
        String file = yaml.toString();
        Object root = load(yaml, file);
        if (!(root instanceof Map<?, ?> map)) {
            throw new ConfigException(file + ": expected a mapping with at least the key 'model', got "
                    + YamlSection.describe(root));
        }
        YamlSection top = new YamlSection(file, "", map);
        top.rejectUnknownKeys(TOP_KEYS);
        Path folder = yaml.toAbsolutePath().getParent();
        Path model = existingPath(top, folder, "model")
                .orElseThrow(() -> top.error("missing required key 'model'"));
        return new ModelSpec(
                Optional.of(yaml.toAbsolutePath()),
                model,
                existingPath(top, folder, "tokenizer"),
                format(top),
                tensorParallel(top),
                top.positiveInt("threads"),
                top.section("kv_cache").map(ModelSpecParser::kvCache).orElse(KvCacheSpec.DEFAULT),
                top.section("generation").map(ModelSpecParser::generation).orElse(GenerationSpec.DEFAULT),
                top.section("server").map(ModelSpecParser::server),
                existingPath(top, folder, "onednn_library"));
    }

    private static Object load(Path yaml, String file) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        try (Reader reader = Files.newBufferedReader(yaml)) {
            return new Yaml(new SafeConstructor(options)).load(reader);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": file not found", e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String where = mark == null ? "" : "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1) + ": ";
            String problem = e.getProblem() != null ? e.getProblem() : firstLine(e.getMessage());
            throw new ConfigException(file + ": invalid YAML at " + where + problem, e);
        } catch (YAMLException e) {
            throw new ConfigException(file + ": invalid YAML: " + firstLine(e.getMessage()), e);
        }
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("");
    }

    private static Optional<Path> existingPath(YamlSection section, Path folder, String key) {
        return section.string(key).map(value -> {
            Path path = folder.resolve(value).normalize();
            if (!Files.exists(path)) {
                throw section.error(key + " file not found: " + path + " (key '" + section.keyPath(key) + "')");
            }
            return path;
        });
    }

    private static Optional<FormatSpec> format(YamlSection top) {
        return top.string("format").map(spec -> {
            try {
                return FormatSpec.parse(spec);
            } catch (IllegalArgumentException e) {
                throw top.error(e.getMessage() + " (key 'format')");
            }
        });
    }

    private static OptionalInt tensorParallel(YamlSection top) {
        Object value = top.raw("tensor_parallel");
        if (value == null || "auto".equals(value)) {
            return OptionalInt.empty();
        }
        if (value instanceof Integer ranks && ranks > 0) {
            return OptionalInt.of(ranks);
        }
        throw top.error("'tensor_parallel' must be 'auto' or a positive integer, got " + YamlSection.describe(value));
    }

    private static KvCacheSpec kvCache(YamlSection section) {
        section.rejectUnknownKeys(KV_CACHE_KEYS);
        KvCacheType dtype = section.string("dtype").map(name -> Arrays.stream(KvCacheType.values())
                .filter(d -> d.yamlName().equals(name))
                .findFirst()
                .orElseThrow(() -> section.error("'" + section.keyPath("dtype") + "' must be one of "
                        + Arrays.stream(KvCacheType.values()).map(KvCacheType::yamlName)
                                .collect(Collectors.joining(", "))
                        + ", got " + YamlSection.describe(name))))
                .orElse(KvCacheSpec.DEFAULT.dtype());
        return new KvCacheSpec(dtype, section.positiveInt("max_tokens"));
    }

    private static GenerationSpec generation(YamlSection section) {
        section.rejectUnknownKeys(GENERATION_KEYS);
        // One wither per key, so a validation failure belongs to exactly that key.
        SamplingParams p = SamplingParams.GREEDY;
        p = withNumber(section, "temperature", p, SamplingParams::withTemperature);
        p = withNumber(section, "top_p", p, SamplingParams::withTopP);
        p = withNumber(section, "min_p", p, SamplingParams::withMinP);
        p = withNumber(section, "repetition_penalty", p, SamplingParams::withRepetitionPenalty);
        p = withInteger(section, "top_k", p, SamplingParams::withTopK);
        p = withInteger(section, "repeat_last_n", p, SamplingParams::withRepeatLastN);
        OptionalLong seed = section.longInteger("seed");
        if (seed.isPresent()) {
            p = p.withSeed(seed.getAsLong());
        }
        BeamParams beams = BeamParams.of(section.positiveInt("beams").orElse(1));
        OptionalDouble lengthPenalty = section.number("length_penalty");
        if (lengthPenalty.isPresent()) {
            BeamParams b = beams;
            beams = validated(section, "length_penalty", () -> b.withLengthPenalty(lengthPenalty.getAsDouble()));
        }
        beams = beams.withEarlyStopping(section.bool("early_stopping").orElse(false));
        return new GenerationSpec(
                section.positiveInt("max_new_tokens").orElse(GenerationSpec.DEFAULT_MAX_NEW_TOKENS),
                p,
                beams);
    }

    private static SamplingParams withNumber(YamlSection section, String key, SamplingParams p,
                                             BiFunction<SamplingParams, Double, SamplingParams> wither) {
        OptionalDouble value = section.number(key);
        return value.isEmpty() ? p : validated(section, key, () -> wither.apply(p, value.getAsDouble()));
    }

    private static SamplingParams withInteger(YamlSection section, String key, SamplingParams p,
                                              BiFunction<SamplingParams, Integer, SamplingParams> wither) {
        OptionalInt value = section.integer(key);
        return value.isEmpty() ? p : validated(section, key, () -> wither.apply(p, value.getAsInt()));
    }

    private static ServerSpec server(YamlSection section) {
        section.rejectUnknownKeys(SERVER_KEYS);
        String host = section.string("host").orElse(ServerSpec.DEFAULT_HOST);
        if (host.isBlank()) {
            throw section.error("'" + section.keyPath("host") + "' must not be empty");
        }
        int port = section.integer("port").orElse(ServerSpec.DEFAULT_PORT);
        if (port < 0 || port > 65535) {
            throw section.error("'" + section.keyPath("port") + "' must be in [0, 65535] (0 = any free port), got " + port);
        }
        return new ServerSpec(host, port);
    }

    /**
     * Builds a value whose validation messages begin with the yaml key name (as those of
     * {@link SamplingParams} do) and re-words them with the key path.
     */
    private static <T> T validated(YamlSection section, String key, Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            String detail = message.startsWith(key + " ") ? message.substring(key.length()) : ": " + message;
            throw section.error("'" + section.keyPath(key) + "'" + detail);
        }
    }
}
