package io.isthmus.runtime.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isthmus.runtime.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face model folder: {@code config.json} plus either one {@code model.safetensors} or the
 * shards listed by {@code model.safetensors.index.json} (its {@code weight_map} names each tensor's
 * shard), all opened together. Tokenizer files are only located here, not read.
 */
public final class HuggingFaceFolder implements AutoCloseable {
    static final String SINGLE = "model.safetensors";
    static final String INDEX = "model.safetensors.index.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final JsonConfig config;
    private final List<SafetensorsFile> shards;
    private final Map<String, SafetensorsFile> byTensor;

    private HuggingFaceFolder(Path dir, JsonConfig config, List<SafetensorsFile> shards,
                              Map<String, SafetensorsFile> byTensor) {
        this.dir = dir;
        this.config = config;
        this.shards = shards;
        this.byTensor = byTensor;
    }

    public static HuggingFaceFolder open(Path folder) {
        Path dir = folder.toAbsolutePath().normalize();
        JsonConfig config = new JsonConfig(readJson(dir.resolve("config.json")), dir.resolve("config.json"));
        List<SafetensorsFile> shards = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
            if (Files.exists(dir.resolve(SINGLE))) {
                SafetensorsFile f = SafetensorsFile.open(dir.resolve(SINGLE));
                shards.add(f);
                f.names().forEach(n -> byTensor.put(n, f));
            } else if (Files.exists(dir.resolve(INDEX))) {
                openShards(dir.resolve(INDEX), shards, byTensor);
            } else {
                throw new ModelFormatException(dir + ": no " + SINGLE + " or " + INDEX + " in the folder");
            }
            return new HuggingFaceFolder(dir, config, List.copyOf(shards), Collections.unmodifiableMap(byTensor));
        } catch (RuntimeException e) {
            shards.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static void openShards(Path index, List<SafetensorsFile> shards, Map<String, SafetensorsFile> byTensor) {
        JsonNode weightMap = readJson(index).get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new ModelFormatException(index + ": missing 'weight_map' object");
        }
        Map<String, SafetensorsFile> byShardName = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
            String shardName = e.getValue().asText();
            Path shardPath = index.resolveSibling(shardName).normalize();
            if (!shardPath.getParent().equals(index.getParent())) {
                throw new ModelFormatException(index + ": shard '" + shardName + "' of tensor '" + e.getKey()
                        + "' is not a file in the model folder");
            }
            SafetensorsFile shard = byShardName.computeIfAbsent(shardName, n -> {
                SafetensorsFile f = SafetensorsFile.open(shardPath);
                shards.add(f);
                return f;
            });
            if (!shard.has(e.getKey())) {
                throw new ModelFormatException(shard.path() + ": missing tensor '" + e.getKey() + "' that "
                        + index.getFileName() + " places in this shard");
            }
            byTensor.put(e.getKey(), shard);
        }
    }

    static JsonNode readJson(Path path) {
        try {
            JsonNode node = JSON.readTree(path.toFile());
            if (node == null || !node.isObject()) {
                throw new ModelFormatException(path + ": not a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new ModelFormatException(path + ": cannot read JSON: " + e.getMessage(), e);
        }
    }

    public Path dir() {
        return dir;
    }

    /** config.json, with accessors whose errors name the key and the file. */
    public JsonConfig config() {
        return config;
    }

    /** All tensor names over all shards. */
    public Set<String> names() {
        return byTensor.keySet();
    }

    public boolean has(String name) {
        return byTensor.containsKey(name);
    }

    /** The tensor {@code name} from whichever shard holds it (zero copy). */
    public Tensor tensor(String name) {
        SafetensorsFile shard = byTensor.get(name);
        if (shard == null) {
            throw new ModelFormatException(dir + ": missing tensor '" + name + "'");
        }
        return shard.tensor(name);
    }

    /** The opened safetensors files (one, or one per shard). */
    public List<SafetensorsFile> shards() {
        return shards;
    }

    /** tokenizer.json of the folder, or null when it has none. */
    public Path tokenizerJson() {
        Path p = dir.resolve("tokenizer.json");
        return Files.isRegularFile(p) ? p : null;
    }

    @Override
    public void close() {
        shards.forEach(SafetensorsFile::close);
    }

    @Override
    public String toString() {
        return "HuggingFaceFolder[" + dir + ", " + shards.size() + " shard(s), " + byTensor.size() + " tensors]";
    }
}
