package io.isthmus.runtime.format;

import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (llama.cpp's format, versions 2 and 3), memory-mapped: metadata, tensor infos, and
 * tensors as zero-copy slices of the mapping.
 *
 * <p>Metadata values are normalised: every integer type becomes {@link Long}, floats {@link Double},
 * {@link Boolean}, {@link String}; arrays of 8–32-bit integers become {@code int[]} (unsigned values
 * as their bit pattern), 64-bit integers {@code long[]}, f32 {@code float[]}, f64 {@code double[]},
 * bools {@code boolean[]}, strings {@code List<String>}, arrays of arrays {@code List<Object>}.
 */
public final class GgufFile implements AutoCloseable {
    private static final int MAGIC = 0x46554747; // "GGUF" little-endian
    private static final int DEFAULT_ALIGNMENT = 32;

    private final MappedFile file;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, Tensor> tensors;
    private final long dataOffset;
    private final long metadataEnd;

    private GgufFile(MappedFile file, int version, Map<String, Object> metadata, Map<String, Tensor> tensors,
                     long dataOffset, long metadataEnd) {
        this.file = file;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
        this.dataOffset = dataOffset;
        this.metadataEnd = metadataEnd;
    }

    /** True when the file at {@code path} starts with the GGUF magic; an error naming it when unreadable. */
    public static boolean isGguf(Path path) {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(path)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && new ByteCursor(MemorySegment.ofArray(magic), path, 0).i32("magic") == MAGIC;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ModelFormatException(path + ": file not found");
        } catch (java.io.IOException e) {
            throw new ModelFormatException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * A GGUF held in memory ({@code bytes}, e.g. a vocabulary-only GGUF embedded in another file);
     * {@code origin} names it in errors.
     */
    public static GgufFile of(Path origin, MemorySegment bytes) {
        return parse(MappedFile.view(origin, bytes));
    }

    /**
     * This file's header and metadata with no tensors: a vocabulary-only GGUF like llama.cpp's
     * {@code ggml-vocab-*.gguf}, which {@link #of} reads back with the same metadata.
     */
    public byte[] metadataOnly() {
        byte[] bytes = file.segment().asSlice(0, metadataEnd).toArray(ValueLayout.JAVA_BYTE);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(8, 0); // tensor count
        return bytes;
    }

    public static GgufFile open(Path path) {
        MappedFile file = MappedFile.open(path);
        try {
            return parse(file);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static GgufFile parse(MappedFile file) {
        Path path = file.path();
        MemorySegment seg = file.segment();
        ByteCursor in = new ByteCursor(seg, path, 0);
        if (seg.byteSize() < 4 || in.i32("magic") != MAGIC) {
            throw new ModelFormatException(path + ": not a GGUF file (bad magic)");
        }
        int version = in.i32("version");
        if (version != 2 && version != 3) {
            throw new ModelFormatException(path + ": unsupported GGUF version " + version + " (supported: 2, 3)");
        }
        long tensorCount = in.i64("tensor count");
        long kvCount = in.i64("metadata count");
        if (tensorCount < 0 || tensorCount > 1 << 20 || kvCount < 0 || kvCount > 1 << 20) {
            throw new ModelFormatException(path + ": corrupt header: " + tensorCount + " tensors, " + kvCount + " metadata entries");
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = string(in, "metadata key #" + i);
            int type = in.i32("type of " + key);
            meta.put(key, value(in, type, key, path));
        }
        long metadataEnd = in.position();
        int alignment = DEFAULT_ALIGNMENT;
        if (meta.get("general.alignment") instanceof Long a) {
            if (a <= 0 || Long.bitCount(a) != 1) {
                throw new ModelFormatException(path + ": general.alignment must be a power of two, got " + a);
            }
            alignment = Math.toIntExact(a);
        }
        record Info(String name, long[] shape, GgmlType type, long offset) {}
        List<Info> infos = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = string(in, "tensor name #" + i);
            int nDims = in.i32("dimension count of " + name);
            if (nDims < 1 || nDims > 4) {
                throw new ModelFormatException(path + ": tensor '" + name + "' has " + nDims + " dimensions (1..4 allowed)");
            }
            long[] shape = new long[nDims];
            for (int d = 0; d < nDims; d++) {
                shape[d] = in.i64("dimensions of " + name);
                if (shape[d] <= 0) {
                    throw new ModelFormatException(path + ": tensor '" + name + "' has dimension " + shape[d]);
                }
            }
            int typeId = in.i32("type of " + name);
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) {
                throw new ModelFormatException(path + ": tensor '" + name + "' has unknown ggml type id " + typeId);
            }
            infos.add(new Info(name, shape, type, in.i64("offset of " + name)));
        }
        long dataOffset = Math.ceilDiv(in.position(), alignment) * (long) alignment;
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Info info : infos) {
            if (info.shape[0] % info.type.blockSize() != 0) {
                throw new ModelFormatException(path + ": tensor '" + info.name + "' row length " + info.shape[0]
                        + " is not a multiple of the " + info.type + " block size " + info.type.blockSize());
            }
            long rows = 1;
            for (int d = 1; d < info.shape.length; d++) {
                rows = Math.multiplyExact(rows, info.shape[d]);
            }
            long bytes = info.type.rowBytes(info.shape[0]) * rows;
            long start = dataOffset + info.offset;
            if (info.offset < 0 || info.offset % alignment != 0 || start + bytes > seg.byteSize()) {
                throw new ModelFormatException(path + ": truncated or corrupt: tensor '" + info.name + "' data [" + start
                        + ", " + (start + bytes) + ") lies outside the file (" + seg.byteSize() + " bytes)");
            }
            tensors.put(info.name, new Tensor(info.name, info.type, info.shape, seg.asSlice(start, bytes)));
        }
        return new GgufFile(file, version, Collections.unmodifiableMap(meta), Collections.unmodifiableMap(tensors), dataOffset,
                metadataEnd);
    }

    private static String string(ByteCursor in, String what) {
        long len = in.i64("length of " + what);
        return in.utf8(len, what);
    }

    private static Object value(ByteCursor in, int type, String key, Path path) {
        return switch (type) {
            case 0 -> (long) Byte.toUnsignedInt(in.i8(key));
            case 1 -> (long) in.i8(key);
            case 2 -> (long) Short.toUnsignedInt(in.i16(key));
            case 3 -> (long) in.i16(key);
            case 4 -> Integer.toUnsignedLong(in.i32(key));
            case 5 -> (long) in.i32(key);
            case 6 -> (double) in.f32(key);
            case 7 -> in.i8(key) != 0;
            case 8 -> string(in, key);
            case 9 -> array(in, key, path);
            case 10, 11 -> in.i64(key);
            case 12 -> in.f64(key);
            default -> throw new ModelFormatException(path + ": metadata '" + key + "' has unknown value type " + type);
        };
    }

    private static Object array(ByteCursor in, String key, Path path) {
        int elemType = in.i32("element type of " + key);
        long n = in.i64("length of " + key);
        if (n < 0 || n > in.position() + (1L << 31)) {
            throw new ModelFormatException(path + ": corrupt array length " + n + " for '" + key + "'");
        }
        int len = Math.toIntExact(n);
        switch (elemType) {
            case 0, 1, 2, 3, 4, 5 -> {
                int[] a = new int[len];
                for (int i = 0; i < len; i++) {
                    a[i] = switch (elemType) {
                        case 0 -> Byte.toUnsignedInt(in.i8(key));
                        case 1 -> in.i8(key);
                        case 2 -> Short.toUnsignedInt(in.i16(key));
                        case 3 -> in.i16(key);
                        default -> in.i32(key);
                    };
                }
                return a;
            }
            case 6 -> {
                float[] a = new float[len];
                for (int i = 0; i < len; i++) {
                    a[i] = in.f32(key);
                }
                return a;
            }
            case 7 -> {
                boolean[] a = new boolean[len];
                for (int i = 0; i < len; i++) {
                    a[i] = in.i8(key) != 0;
                }
                return a;
            }
            case 8 -> {
                List<String> a = new ArrayList<>(len);
                for (int i = 0; i < len; i++) {
                    a.add(string(in, key));
                }
                return Collections.unmodifiableList(a);
            }
            case 10, 11 -> {
                long[] a = new long[len];
                for (int i = 0; i < len; i++) {
                    a[i] = in.i64(key);
                }
                return a;
            }
            case 12 -> {
                double[] a = new double[len];
                for (int i = 0; i < len; i++) {
                    a[i] = in.f64(key);
                }
                return a;
            }
            default -> {
                List<Object> a = new ArrayList<>(len);
                for (int i = 0; i < len; i++) {
                    a.add(value(in, elemType, key, path));
                }
                return Collections.unmodifiableList(a);
            }
        }
    }

    public Path path() {
        return file.path();
    }

    public int version() {
        return version;
    }

    /** Byte offset in the file where tensor data starts (after alignment). */
    public long dataOffset() {
        return dataOffset;
    }

    public Map<String, Object> metadata() {
        return metadata;
    }

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The tensor named {@code name}, or an error naming it and the file. */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new ModelFormatException(path() + ": missing tensor '" + name + "'");
        }
        return t;
    }

    public String getString(String key) {
        return typed(key, String.class);
    }

    public String getString(String key, String fallback) {
        return has(key) ? getString(key) : fallback;
    }

    public long getLong(String key) {
        return typed(key, Long.class);
    }

    public long getLong(String key, long fallback) {
        return has(key) ? getLong(key) : fallback;
    }

    public double getDouble(String key, double fallback) {
        if (!has(key)) {
            return fallback;
        }
        Object v = metadata.get(key);
        if (v instanceof Long l) {
            return l;
        }
        return typed(key, Double.class);
    }

    public boolean getBoolean(String key, boolean fallback) {
        return has(key) ? typed(key, Boolean.class) : fallback;
    }

    @SuppressWarnings("unchecked")
    public List<String> getStringList(String key) {
        return typed(key, List.class);
    }

    public float[] getFloatArray(String key) {
        return typed(key, float[].class);
    }

    public int[] getIntArray(String key) {
        return typed(key, int[].class);
    }

    private <T> T typed(String key, Class<T> type) {
        Object v = metadata.get(key);
        if (v == null) {
            throw new ModelFormatException(path() + ": missing metadata key '" + key + "'");
        }
        if (!type.isInstance(v)) {
            String got = v.getClass().isArray() ? v.getClass().getComponentType() + "[]" : v.getClass().getSimpleName();
            throw new ModelFormatException(path() + ": metadata '" + key + "' is " + got + ", expected " + type.getSimpleName());
        }
        return type.cast(v);
    }

    @Override
    public void close() {
        file.close();
    }

    @Override
    public String toString() {
        return "GgufFile[" + path() + ", v" + version + ", " + metadata.size() + " keys, " + tensors.size() + " tensors]";
    }
}
