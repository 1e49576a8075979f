package io.isthmus.runtime.format;

import io.isthmus.runtime.tensor.GgmlType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF v3 file that {@link GgufFile} (and llama.cpp) reads: metadata, then tensor infos,
 * then tensor data aligned to 32 bytes. Tensors are declared first (name, type, shape), so every
 * offset is known when the header is written; their data then goes straight to its place in the
 * file, in any order and from several threads, without the whole model in memory.
 */
public final class GgufWriter implements AutoCloseable {
    private static final int MAGIC = 0x46554747; // "GGUF" little-endian
    private static final int VERSION = 3;
    private static final int ALIGNMENT = 32;

    private record Declared(String name, GgmlType type, long[] shape, long offset, long bytes) {
    }

    private final Path path;
    private final ByteArrayOutputStream metadata = new ByteArrayOutputStream();
    private int metadataCount;
    private final Map<String, Declared> tensors = new LinkedHashMap<>();
    private long dataBytes;
    private FileChannel channel;
    private long dataOffset;

    public GgufWriter(Path path) {
        this.path = path;
    }

    public GgufWriter putString(String key, String value) {
        key(key, 8);
        string(metadata, value);
        return this;
    }

    public GgufWriter putU32(String key, int value) {
        key(key, 4);
        metadata.writeBytes(le(4).putInt(value).array());
        return this;
    }

    public GgufWriter putF32(String key, float value) {
        key(key, 6);
        metadata.writeBytes(le(4).putFloat(value).array());
        return this;
    }

    public GgufWriter putBool(String key, boolean value) {
        key(key, 7);
        metadata.write(value ? 1 : 0);
        return this;
    }

    public GgufWriter putStrings(String key, List<String> values) {
        arrayHeader(key, 8, values.size());
        values.forEach(v -> string(metadata, v));
        return this;
    }

    public GgufWriter putF32s(String key, float[] values) {
        arrayHeader(key, 6, values.length);
        ByteBuffer b = le(4 * values.length);
        for (float v : values) {
            b.putFloat(v);
        }
        metadata.writeBytes(b.array());
        return this;
    }

    public GgufWriter putI32s(String key, int[] values) {
        arrayHeader(key, 5, values.length);
        ByteBuffer b = le(4 * values.length);
        for (int v : values) {
            b.putInt(v);
        }
        metadata.writeBytes(b.array());
        return this;
    }

    /**
     * Declares a tensor; {@code shape} in ggml order ({@code shape[0]} = row length, then rows).
     * All tensors are declared before the first {@link #writeTensor}.
     */
    public GgufWriter declareTensor(String name, GgmlType type, long... shape) {
        if (channel != null) {
            throw new IllegalStateException("tensor '" + name + "' declared after the header was written");
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' declared twice");
        }
        long rows = 1;
        for (int d = 1; d < shape.length; d++) {
            rows = Math.multiplyExact(rows, shape[d]);
        }
        long bytes = type.rowBytes(shape[0]) * rows;
        tensors.put(name, new Declared(name, type, shape.clone(), dataBytes, bytes));
        dataBytes = Math.ceilDiv(dataBytes + bytes, ALIGNMENT) * ALIGNMENT;
        return this;
    }

    /**
     * Writes {@code data} at byte {@code offsetInTensor} of tensor {@code name}'s data (rows may come
     * in parts; thread-safe). The header goes out with the first call.
     */
    public void writeTensor(String name, long offsetInTensor, MemorySegment data) {
        Declared t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("tensor '" + name + "' was not declared");
        }
        if (offsetInTensor < 0 || offsetInTensor + data.byteSize() > t.bytes()) {
            throw new IllegalArgumentException("bytes [" + offsetInTensor + ", " + (offsetInTensor + data.byteSize())
                    + ") outside tensor '" + name + "' of " + t.bytes() + " bytes");
        }
        FileChannel ch = open();
        ByteBuffer buf = data.asByteBuffer();
        long at = dataOffset + t.offset() + offsetInTensor;
        try {
            while (buf.hasRemaining()) {
                at += ch.write(buf, at);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot write tensor '" + name + "': " + e.getMessage(), e);
        }
    }

    /** Bytes of tensor {@code name}'s data. */
    public long tensorBytes(String name) {
        return tensors.get(name).bytes();
    }

    private synchronized FileChannel open() {
        if (channel != null) {
            return channel;
        }
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        header.writeBytes(le(24).putInt(MAGIC).putInt(VERSION).putLong(tensors.size()).putLong(metadataCount).array());
        header.writeBytes(metadata.toByteArray());
        for (Declared t : tensors.values()) {
            string(header, t.name());
            ByteBuffer b = le(4 + 8 * t.shape().length + 4 + 8).putInt(t.shape().length);
            for (long d : t.shape()) {
                b.putLong(d);
            }
            header.writeBytes(b.putInt(t.type().id()).putLong(t.offset()).array());
        }
        dataOffset = Math.ceilDiv((long) header.size(), ALIGNMENT) * ALIGNMENT;
        try {
            channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            ByteBuffer h = ByteBuffer.wrap(header.toByteArray());
            long at = 0;
            while (h.hasRemaining()) {
                at += channel.write(h, at);
            }
            if (dataBytes > 0) {
                channel.write(ByteBuffer.allocate(1), dataOffset + dataBytes - 1); // the full length, sparse until written
            }
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot write: " + e.getMessage(), e);
        }
        return channel;
    }

    /** Writes the header if no tensor was written, and closes the file. */
    @Override
    public void close() {
        try {
            open().close();
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot close: " + e.getMessage(), e);
        }
    }

    private void key(String key, int type) {
        string(metadata, key);
        metadata.writeBytes(le(4).putInt(type).array());
        metadataCount++;
    }

    private void arrayHeader(String key, int elementType, int length) {
        key(key, 9);
        metadata.writeBytes(le(12).putInt(elementType).putLong(length).array());
    }

    private static void string(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeBytes(le(8).putLong(b.length).array());
        out.writeBytes(b);
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Declared tensor names, in file order. */
    public List<String> tensorNames() {
        return new ArrayList<>(tensors.keySet());
    }
}
