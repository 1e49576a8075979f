package io.isthmus.runtime.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isthmus.runtime.kernel.RopeStyle;
import io.isthmus.runtime.model.Activation;
import io.isthmus.runtime.model.Architecture;
import io.isthmus.runtime.model.ModelConfig;
import io.isthmus.runtime.model.QkvLayout;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * Isthmus's quantized model file: a safetensors file (8-byte header length, JSON header, data) that
 * carries everything needed to run the model without its source. Its {@code __metadata__} holds:
 * <ul>
 * <li>{@value #FORMAT_KEY} = {@value #FORMAT_VERSION} (what marks the file as Isthmus's);</li>
 * <li>{@value #CONFIG_KEY}: the model's hyper-parameters as JSON (every {@link ModelConfig} field);</li>
 * <li>{@value #TENSOR_KEY_PREFIX}NAME for every weight: JSON {@code {"format", "shape", "parts"}} —
 *     the format spec ({@code f16}, {@code q6_k}, {@code nf4-g64}, ...), the shape outermost first
 *     ({@code [rows, cols]} for a matrix) and, for a packed matrix, the names of its parts;</li>
 * <li>blob entries (e.g. the tokenizer) are U8 tensors named {@code __NAME__}, described by keys of their own.</li>
 * </ul>
 * A plain weight in f32/f16/bf16 is a tensor of that dtype under its own name; one in another GGUF type
 * is its raw blocks as a U8 tensor; a packed matrix's part P is the U8 tensor {@code NAME.P}. Every
 * tensor starts at a multiple of {@value #ALIGNMENT} bytes of the file; the gaps are zero-filled U8
 * entries named {@code __padding__.N}, so the data area has no holes and safetensors readers accept it.
 */
public final class QuantizedFile {
    public static final String FORMAT_KEY = "isthmus.format";
    public static final String FORMAT_VERSION = "isthmus-quantized-1";
    public static final String CONFIG_KEY = "isthmus.config";
    public static final String TENSOR_KEY_PREFIX = "isthmus.tensor.";
    static final String PADDING_PREFIX = "__padding__.";
    static final int ALIGNMENT = 64;
    static final ObjectMapper JSON = new ObjectMapper();

    private QuantizedFile() {
    }

    /** The U8 entry that holds blob {@code name}. */
    public static String blobEntry(String name) {
        return "__" + name + "__";
    }

    /** Whether {@code file} is one of these (a safetensors file with {@value #FORMAT_KEY} in its metadata). */
    public static boolean is(SafetensorsFile file) {
        return file.metadata().containsKey(FORMAT_KEY);
    }

    /**
     * Whether {@code path} names a quantized file: a {@code .safetensors} file whose metadata marks
     * it. A plain safetensors file, part of a Hugging Face folder, is not one.
     */
    public static boolean is(Path path) {
        if (!path.getFileName().toString().endsWith(".safetensors") || !Files.isRegularFile(path)) {
            return false;
        }
        try (SafetensorsFile f = SafetensorsFile.open(path)) {
            return is(f);
        }
    }

    /** The metadata value {@code key} and blob {@code name} of the quantized file at {@code path}, if it has them. */
    public static Optional<Blob> blob(Path path, String key, String name) {
        try (SafetensorsFile f = SafetensorsFile.open(path)) {
            String value = f.metadata().get(key);
            if (value == null || !f.has(blobEntry(name))) {
                return Optional.empty();
            }
            return Optional.of(new Blob(value, f.bytes(blobEntry(name)).toArray(ValueLayout.JAVA_BYTE)));
        }
    }

    /** A blob and the metadata value that describes it. */
    public record Blob(String description, byte[] data) {
    }

    static String configJson(ModelConfig c) {
        ObjectNode o = JSON.createObjectNode();
        o.put("architecture", c.architecture().name());
        o.put("dim", c.dim());
        o.put("ffn_dim", c.ffnDim());
        o.put("layers", c.layers());
        o.put("heads", c.heads());
        o.put("kv_heads", c.kvHeads());
        o.put("head_dim", c.headDim());
        o.put("vocab_size", c.vocabSize());
        o.put("context_length", c.contextLength());
        o.put("norm_eps", c.normEps());
        o.put("rope_dims", c.ropeDims());
        o.put("rope_theta", c.ropeTheta());
        o.put("rope_freq_scale", c.ropeFreqScale());
        o.put("rope_style", c.ropeStyle().name());
        o.put("parallel_residual", c.parallelResidual());
        o.put("qkv_layout", c.qkvLayout().name());
        o.put("activation", c.activation().name());
        return o.toString();
    }

    /** The config stored under {@value #CONFIG_KEY}; errors name the file and the key. */
    static ModelConfig config(Path file, String json) {
        if (json == null) {
            throw new ModelFormatException(file + ": missing metadata key '" + CONFIG_KEY + "'");
        }
        JsonConfig c;
        try {
            c = new JsonConfig(JSON.readTree(json), file);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": metadata '" + CONFIG_KEY + "' is not valid JSON", e);
        }
        try {
            return new ModelConfig(named(c, "architecture", Architecture.class), c.requireInt("dim"),
                    c.requireInt("ffn_dim"), c.requireInt("layers"), c.requireInt("heads"), c.requireInt("kv_heads"),
                    c.requireInt("head_dim"), c.requireInt("vocab_size"), c.requireInt("context_length"),
                    (float) c.requireDouble("norm_eps"), c.requireInt("rope_dims"), c.requireDouble("rope_theta"),
                    c.requireDouble("rope_freq_scale"), named(c, "rope_style", RopeStyle.class),
                    c.boolOr("parallel_residual", false), named(c, "qkv_layout", QkvLayout.class),
                    named(c, "activation", Activation.class));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": metadata '" + CONFIG_KEY + "': " + e.getMessage(), e);
        }
    }

    private static <E extends Enum<E>> E named(JsonConfig c, String key, Class<E> type) {
        String v = c.stringOr(key, null);
        if (v == null) {
            throw new ModelFormatException(c.path() + ": missing config key '" + key + "' in metadata '" + CONFIG_KEY + "'");
        }
        try {
            return Enum.valueOf(type, v);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(c.path() + ": config key '" + key + "' in metadata '" + CONFIG_KEY
                    + "' is '" + v + "', not one of " + Arrays.toString(type.getEnumConstants()));
        }
    }

    /** The description of one weight, as {@value #TENSOR_KEY_PREFIX}NAME holds it. */
    static JsonNode parse(Path file, String key, String json) {
        try {
            JsonNode n = JSON.readTree(json);
            if (n == null || !n.isObject()) {
                throw new ModelFormatException(file + ": metadata '" + key + "' is not a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw new ModelFormatException(file + ": metadata '" + key + "' is not valid JSON");
        }
    }
}
