package io.isthmus.runtime.format;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Test-side writer of safetensors files, from raw little-endian bytes per tensor. */
final class SafetensorsWriter {
    static final ObjectMapper JSON = new ObjectMapper();

    /** One tensor: dtype string, HF-order shape and its bytes. */
    record Entry(String dtype, long[] shape, byte[] data) {}

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    SafetensorsWriter put(String name, String dtype, long[] shape, byte[] data) {
        entries.put(name, new Entry(dtype, shape, data));
        return this;
    }

    SafetensorsWriter putF32(String name, long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return put(name, "F32", shape, b.array());
    }

    SafetensorsWriter meta(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** The JSON header as this writer would write it (tests corrupt it before {@link #write(Path, String)}). */
    String header() {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            ObjectNode t = root.putObject(e.getKey());
            t.put("dtype", e.getValue().dtype);
            ArrayNode shape = t.putArray("shape");
            for (long d : e.getValue().shape) {
                shape.add(d);
            }
            t.putArray("data_offsets").add(offset).add(offset + e.getValue().data.length);
            offset += e.getValue().data.length;
        }
        return root.toString();
    }

    byte[] bytes(String header) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.writeBytes(h);
        entries.values().forEach(e -> out.writeBytes(e.data));
        return out.toByteArray();
    }

    Path write(Path path) throws IOException {
        return write(path, header());
    }

    Path write(Path path, String header) throws IOException {
        Files.write(path, bytes(header));
        return path;
    }
}
