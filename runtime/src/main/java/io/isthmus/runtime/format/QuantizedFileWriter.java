package io.isthmus.runtime.format;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.quant.PackedMatrix;
import io.isthmus.runtime.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Writes a model as a {@link QuantizedFile}, through a temporary file renamed into place when complete. */
public final class QuantizedFileWriter {
    private static final long CHUNK = 1L << 30;

    private record Entry(String name, String dtype, long[] shape, MemorySegment data) {}

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** A writer of {@code weights}: its config, every tensor and packed matrix, in the model's order. */
    public QuantizedFileWriter(ModelWeights weights) {
        metadata.put(QuantizedFile.FORMAT_KEY, QuantizedFile.FORMAT_VERSION);
        metadata.put(QuantizedFile.CONFIG_KEY, QuantizedFile.configJson(weights.config()));
        for (Tensor t : weights.tensors().values()) {
            addTensor(t);
        }
        for (WeightMatrix m : weights.packed().values()) {
            if (!(m instanceof PackedMatrix p)) {
                throw new IllegalArgumentException("matrix '" + m.name() + "' (" + m.format()
                        + ") is not a packed matrix and cannot be written");
            }
            addPacked(p);
        }
    }

    /** Adds a metadata string (e.g. where the model came from). */
    public QuantizedFileWriter metadata(String key, String value) {
        if (metadata.containsKey(key) && key.startsWith("isthmus.")) {
            throw new IllegalArgumentException("metadata key '" + key + "' is already set");
        }
        metadata.put(key, value);
        return this;
    }

    /** Adds blob {@code name} (a U8 entry, see {@link QuantizedFile#blobEntry}) described by metadata {@code key}. */
    public QuantizedFileWriter blob(String name, String key, String description, byte[] data) {
        metadata(key, description);
        entries.add(new Entry(QuantizedFile.blobEntry(name), "U8", new long[] {data.length}, MemorySegment.ofArray(data)));
        return this;
    }

    private void addTensor(Tensor t) {
        long[] ggml = t.shape();
        long[] shape = new long[ggml.length];
        for (int i = 0; i < ggml.length; i++) {
            shape[i] = ggml[ggml.length - 1 - i];
        }
        ObjectNode d = QuantizedFile.JSON.createObjectNode();
        d.put("format", t.type().name().toLowerCase(Locale.ROOT));
        shapeInto(d.putArray("shape"), shape);
        metadata.put(QuantizedFile.TENSOR_KEY_PREFIX + t.name(), d.toString());
        MemorySegment data = t.data().asSlice(0, t.byteSize());
        switch (t.type()) {
            case F32, F16, BF16 -> entries.add(new Entry(t.name(), t.type().name(), shape, data));
            default -> entries.add(new Entry(t.name(), "U8", new long[] {t.byteSize()}, data));
        }
    }

    private void addPacked(PackedMatrix m) {
        ObjectNode d = QuantizedFile.JSON.createObjectNode();
        d.put("format", m.spec().spec());
        shapeInto(d.putArray("shape"), new long[] {m.rows(), m.cols()});
        ArrayNode parts = d.putArray("parts");
        for (Map.Entry<String, MemorySegment> p : m.parts().entrySet()) {
            parts.add(p.getKey());
            entries.add(new Entry(m.name() + "." + p.getKey(), "U8", new long[] {p.getValue().byteSize()}, p.getValue()));
        }
        metadata.put(QuantizedFile.TENSOR_KEY_PREFIX + m.name(), d.toString());
    }

    private static void shapeInto(ArrayNode a, long[] shape) {
        for (long s : shape) {
            a.add(s);
        }
    }

    /** Writes the file; a failure leaves no file at {@code out}. */
    public void write(Path out) {
        List<Entry> laid = new ArrayList<>();
        ObjectNode header = QuantizedFile.JSON.createObjectNode();
        header.putObject("__metadata__").setAll(toNodes(metadata));
        long offset = 0;
        int pads = 0;
        for (Entry e : entries) {
            long gap = (QuantizedFile.ALIGNMENT - offset % QuantizedFile.ALIGNMENT) % QuantizedFile.ALIGNMENT;
            if (gap > 0) {
                Entry pad = new Entry(QuantizedFile.PADDING_PREFIX + pads++, "U8", new long[] {gap}, null);
                offset = describe(header, pad, offset, gap);
                laid.add(pad);
            }
            offset = describe(header, e, offset, e.data.byteSize());
            laid.add(e);
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        // spaces after the JSON (allowed by the format) put the data area at a multiple of the alignment
        int padded = Math.toIntExact(Math.ceilDiv(8L + json.length, QuantizedFile.ALIGNMENT) * QuantizedFile.ALIGNMENT - 8);
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                writeFully(ch, head);
                for (Entry e : laid) {
                    if (e.data == null) {
                        writeFully(ch, ByteBuffer.allocate(Math.toIntExact(e.shape[0])));
                    } else {
                        for (long at = 0; at < e.data.byteSize(); at += CHUNK) {
                            writeFully(ch, byteView(e.data.asSlice(at, Math.min(CHUNK, e.data.byteSize() - at))));
                        }
                    }
                }
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new ModelFormatException(out + ": cannot write: " + e.getMessage(), e);
        }
    }

    private static long describe(ObjectNode header, Entry e, long offset, long bytes) {
        ObjectNode t = header.putObject(e.name);
        t.put("dtype", e.dtype);
        shapeInto(t.putArray("shape"), e.shape);
        t.putArray("data_offsets").add(offset).add(offset + bytes);
        return offset + bytes;
    }

    private static Map<String, com.fasterxml.jackson.databind.JsonNode> toNodes(Map<String, String> m) {
        Map<String, com.fasterxml.jackson.databind.JsonNode> nodes = new LinkedHashMap<>();
        m.forEach((k, v) -> nodes.put(k, QuantizedFile.JSON.getNodeFactory().textNode(v)));
        return nodes;
    }

    /**
     * The bytes of {@code part} as a buffer: a view of native memory, a copy of heap memory held in a
     * short[] or float[] (which {@link MemorySegment#asByteBuffer} cannot view).
     */
    private static ByteBuffer byteView(MemorySegment part) {
        if (part.isNative() || part.heapBase().orElse(null) instanceof byte[]) {
            return part.asByteBuffer();
        }
        byte[] copy = new byte[Math.toIntExact(part.byteSize())];
        MemorySegment.copy(part, 0, MemorySegment.ofArray(copy), 0, copy.length);
        return ByteBuffer.wrap(copy);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
