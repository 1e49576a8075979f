package io.isthmus.runtime.format;

import com.fasterxml.jackson.databind.JsonNode;
import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.model.ModelConfig;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.quant.PackedFormat;
import io.isthmus.runtime.quant.PackedFormats;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Builds a model from a {@link QuantizedFile}: the config from its metadata, plain weights as views
 * of the mapping, packed matrices through their family's {@link PackedFormat#read} over views of
 * their parts — nothing is copied. Errors name the file and the tensor.
 */
final class QuantizedModels {
    private QuantizedModels() {
    }

    static ModelWeights weights(SafetensorsFile f) {
        Path path = f.path();
        String version = f.metadata().get(QuantizedFile.FORMAT_KEY);
        if (!QuantizedFile.FORMAT_VERSION.equals(version)) {
            throw new ModelFormatException(path + ": metadata '" + QuantizedFile.FORMAT_KEY + "' is '" + version
                    + "'; this build reads '" + QuantizedFile.FORMAT_VERSION + "'");
        }
        ModelConfig config = QuantizedFile.config(path, f.metadata().get(QuantizedFile.CONFIG_KEY));
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, WeightMatrix> packed = new LinkedHashMap<>();
        for (Map.Entry<String, String> m : f.metadata().entrySet()) {
            if (!m.getKey().startsWith(QuantizedFile.TENSOR_KEY_PREFIX)) {
                continue;
            }
            String name = m.getKey().substring(QuantizedFile.TENSOR_KEY_PREFIX.length());
            JsonNode d = QuantizedFile.parse(path, m.getKey(), m.getValue());
            String where = path + ": tensor '" + name + "': ";
            String format = d.path("format").asText(null);
            long[] shape = shape(d.path("shape"), where);
            if (format == null) {
                throw new ModelFormatException(where + "metadata '" + m.getKey() + "' names no format");
            }
            if (d.has("parts")) {
                packed.put(name, packed(f, name, format, shape, d.path("parts"), where));
            } else {
                tensors.put(name, plain(f, name, format, shape, where));
            }
        }
        return new ModelWeights(config, tensors, packed, path, f);
    }

    private static long[] shape(JsonNode n, String where) {
        if (!n.isArray() || n.isEmpty() || n.size() > 4) {
            throw new ModelFormatException(where + "bad shape " + n + " in its metadata");
        }
        long[] s = new long[n.size()];
        for (int i = 0; i < s.length; i++) {
            if (!n.get(i).canConvertToLong() || n.get(i).asLong() <= 0) {
                throw new ModelFormatException(where + "bad shape " + n + " in its metadata");
            }
            s[i] = n.get(i).asLong();
        }
        return s;
    }

    private static Tensor plain(SafetensorsFile f, String name, String format, long[] shape, String where) {
        GgmlType type;
        try {
            type = GgmlType.valueOf(format.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(where + "unknown format '" + format + "' (a plain weight needs a GGUF type)");
        }
        if (!f.has(name)) {
            throw new ModelFormatException(where + "no data entry '" + name + "' in the file");
        }
        long[] ggml = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            ggml[i] = shape[shape.length - 1 - i];
        }
        switch (type) {
            case F32, F16, BF16 -> {
                if (!f.dtype(name).equals(type.name()) || !Arrays.equals(f.headerShape(name), shape)) {
                    throw new ModelFormatException(where + "the data entry is " + f.dtype(name) + " "
                            + Arrays.toString(f.headerShape(name)) + " but its metadata says " + format + " "
                            + Arrays.toString(shape));
                }
                return f.tensor(name);
            }
            default -> {
                MemorySegment bytes = f.bytes(name);
                try {
                    Tensor t = new Tensor(name, type, ggml, bytes);
                    if (t.byteSize() != bytes.byteSize()) {
                        throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " of " + format + " takes "
                                + t.byteSize() + " bytes, the entry holds " + bytes.byteSize());
                    }
                    return t;
                } catch (IllegalArgumentException e) {
                    throw new ModelFormatException(where + e.getMessage(), e);
                }
            }
        }
    }

    private static WeightMatrix packed(SafetensorsFile f, String name, String format, long[] shape, JsonNode partNames,
                                       String where) {
        FormatSpec spec;
        try {
            spec = FormatSpec.parse(format);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(where + e.getMessage(), e);
        }
        PackedFormat family = PackedFormats.forSpec(spec);
        if (family == null) {
            throw new ModelFormatException(where + "unknown format '" + format + "' (packed formats of this build: "
                    + String.join(", ", PackedFormats.names()) + ")");
        }
        if (shape.length != 2 || shape[0] > Integer.MAX_VALUE || shape[1] > Integer.MAX_VALUE) {
            throw new ModelFormatException(where + "a packed matrix needs a shape [rows, cols], got " + Arrays.toString(shape));
        }
        Map<String, MemorySegment> parts = new LinkedHashMap<>();
        for (JsonNode p : partNames) {
            String entry = name + "." + p.asText();
            if (!f.has(entry)) {
                throw new ModelFormatException(where + "part '" + p.asText() + "' (entry '" + entry + "') is missing");
            }
            parts.put(p.asText(), f.bytes(entry));
        }
        try {
            return family.read(name, (int) shape[0], (int) shape[1], spec, parts);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(where + format + ": " + e.getMessage(), e);
        }
    }
}
