package io.isthmus.runtime.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A safetensors file, memory-mapped: an 8-byte little-endian header length, a JSON header
 * ({@code name → {dtype, shape, data_offsets}} plus an optional {@code __metadata__} string map),
 * then the data area. Tensors are zero-copy slices of the mapping, with the shape reversed into
 * ggml order (HF {@code [out, in]} becomes {@code {in, out}}).
 *
 * <p>Every entry's offsets are checked at open. Only F32, F16 and BF16 can be read as tensors; other
 * dtypes (integer buffers that some checkpoints carry) are an error only when such a tensor is requested.
 */
public final class SafetensorsFile implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Element sizes of every dtype the format defines, so offsets can be checked even for unreadable ones. */
    private static final Map<String, Integer> DTYPE_BYTES = Map.ofEntries(
            Map.entry("BOOL", 1), Map.entry("U8", 1), Map.entry("I8", 1),
            Map.entry("F8_E4M3", 1), Map.entry("F8_E5M2", 1),
            Map.entry("U16", 2), Map.entry("I16", 2), Map.entry("F16", 2), Map.entry("BF16", 2),
            Map.entry("U32", 4), Map.entry("I32", 4), Map.entry("F32", 4),
            Map.entry("U64", 8), Map.entry("I64", 8), Map.entry("F64", 8));

    private record Entry(String dtype, long[] ggmlShape, MemorySegment data) {}

    private final MappedFile file;
    private final Map<String, String> metadata;
    private final Map<String, Entry> entries;

    private SafetensorsFile(MappedFile file, Map<String, String> metadata, Map<String, Entry> entries) {
        this.file = file;
        this.metadata = metadata;
        this.entries = entries;
    }

    public static SafetensorsFile open(Path path) {
        MappedFile file = MappedFile.open(path);
        try {
            return parse(file);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static SafetensorsFile parse(MappedFile file) {
        Path path = file.path();
        MemorySegment seg = file.segment();
        long headerLength = new ByteCursor(seg, path, 0).i64("safetensors header length");
        if (headerLength < 2 || headerLength > seg.byteSize() - 8) {
            throw new ModelFormatException(path + ": corrupt safetensors: header length " + headerLength
                    + " does not fit in the file (" + seg.byteSize() + " bytes)");
        }
        JsonNode header = readHeader(path, seg.asSlice(8, headerLength));
        MemorySegment dataArea = seg.asSlice(8 + headerLength);
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : header.properties()) {
            String name = field.getKey();
            JsonNode node = field.getValue();
            if (name.equals("__metadata__")) {
                node.properties().forEach(m -> metadata.put(m.getKey(), m.getValue().asText()));
            } else {
                entries.put(name, entry(path, name, node, dataArea));
            }
        }
        return new SafetensorsFile(file, Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(entries));
    }

    private static JsonNode readHeader(Path path, MemorySegment bytes) {
        String text = new String(bytes.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        try {
            JsonNode header = JSON.readTree(text);
            if (header == null || !header.isObject()) {
                throw new ModelFormatException(path + ": corrupt safetensors: header is not a JSON object");
            }
            return header;
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(path + ": corrupt safetensors: header is not valid JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    private static Entry entry(Path path, String name, JsonNode node, MemorySegment dataArea) {
        String where = path + ": tensor '" + name + "': ";
        JsonNode dtypeNode = node.get("dtype");
        JsonNode shapeNode = node.get("shape");
        JsonNode offsets = node.get("data_offsets");
        if (dtypeNode == null || !dtypeNode.isTextual() || shapeNode == null || !shapeNode.isArray()
                || offsets == null || !offsets.isArray() || offsets.size() != 2
                || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
            throw new ModelFormatException(where + "header entry needs dtype, shape and two data_offsets, got " + node);
        }
        String dtype = dtypeNode.asText();
        Integer elementBytes = DTYPE_BYTES.get(dtype);
        if (elementBytes == null) {
            throw new ModelFormatException(where + "unknown dtype " + dtype);
        }
        // Reversed into ggml order; a scalar (shape []) becomes one element.
        long[] shape = new long[Math.max(1, shapeNode.size())];
        shape[0] = 1;
        long elements = 1;
        for (int i = 0; i < shapeNode.size(); i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || d.asLong() < 0) {
                throw new ModelFormatException(where + "bad shape " + shapeNode);
            }
            shape[shapeNode.size() - 1 - i] = d.asLong();
            elements = Math.multiplyExact(elements, d.asLong());
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin || end > dataArea.byteSize()) {
            throw new ModelFormatException(where + "truncated or corrupt: data_offsets [" + begin + ", " + end
                    + ") lie outside the data area (" + dataArea.byteSize() + " bytes)");
        }
        if (end - begin != elements * elementBytes) {
            throw new ModelFormatException(where + "data_offsets [" + begin + ", " + end + ") hold " + (end - begin)
                    + " bytes but shape " + shapeNode + " of " + dtype + " needs " + elements * elementBytes);
        }
        return new Entry(dtype, shape, dataArea.asSlice(begin, end - begin));
    }

    public Path path() {
        return file.path();
    }

    /** The {@code __metadata__} strings of the header (empty when it has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Names of all entries, readable or not, in header order. */
    public Set<String> names() {
        return entries.keySet();
    }

    public boolean has(String name) {
        return entries.containsKey(name);
    }

    /** The safetensors dtype string of {@code name} (e.g. "F32", "I64"). */
    public String dtype(String name) {
        return entry(name).dtype;
    }

    /** The raw bytes of entry {@code name}, whatever its dtype (a zero-copy view of the mapping). */
    public MemorySegment bytes(String name) {
        return entry(name).data;
    }

    /** The shape of entry {@code name} as the header gives it (outermost dimension first). */
    public long[] headerShape(String name) {
        long[] ggml = entry(name).ggmlShape;
        long[] hf = new long[ggml.length];
        for (int i = 0; i < ggml.length; i++) {
            hf[i] = ggml[ggml.length - 1 - i];
        }
        return hf;
    }

    /** The tensor {@code name} as a zero-copy view, or an error naming the file, the tensor and an unreadable dtype. */
    public Tensor tensor(String name) {
        Entry e = entry(name);
        GgmlType type = switch (e.dtype) {
            case "F32" -> GgmlType.F32;
            case "F16" -> GgmlType.F16;
            case "BF16" -> GgmlType.BF16;
            default -> throw new ModelFormatException(path() + ": tensor '" + name + "' has dtype " + e.dtype
                    + ", which is not supported for weights (F32, F16, BF16)");
        };
        return new Tensor(name, type, e.ggmlShape, e.data);
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new ModelFormatException(path() + ": missing tensor '" + name + "'");
        }
        return e;
    }

    @Override
    public void close() {
        file.close();
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path() + ", " + entries.size() + " tensors]";
    }
}
