package io.isthmus.runtime.tensor;

/**
 * Element types of weight tensors, numbered as in ggml (the GGUF file format), so a GGUF tensor
 * info maps to a type by its id. Quantized types store blocks of {@link #blockSize()} elements in
 * {@link #blockBytes()} bytes; a row of {@code n} elements takes {@code ceil(n / blockSize)} blocks,
 * the last one zero-padded when {@code n} is not a multiple of the block size.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 2 + 16),
    Q4_1(3, 32, 2 + 2 + 16),
    Q5_0(6, 32, 2 + 4 + 16),
    Q5_1(7, 32, 2 + 2 + 4 + 16),
    Q8_0(8, 32, 2 + 32),
    Q8_1(9, 32, 4 + 4 + 32),
    Q2_K(10, 256, 256 / 16 + 256 / 4 + 2 + 2),
    Q3_K(11, 256, 256 / 8 + 256 / 4 + 12 + 2),
    Q4_K(12, 256, 2 + 2 + 12 + 256 / 2),
    Q5_K(13, 256, 2 + 2 + 12 + 256 / 8 + 256 / 2),
    Q6_K(14, 256, 256 / 2 + 256 / 4 + 256 / 16 + 2),
    Q8_K(15, 256, 4 + 256 + 256 / 16 * 2),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    BF16(30, 1, 2);

    private final int id;
    private final int blockSize;
    private final int blockBytes;

    GgmlType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** The ggml type id, as stored in GGUF tensor infos. */
    public int id() {
        return id;
    }

    /** Elements per quantization block (1 for plain types). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int blockBytes() {
        return blockBytes;
    }

    public boolean isQuantized() {
        return blockSize > 1;
    }

    /** Bytes taken by a row of {@code elements} elements (a padded last block included). */
    public long rowBytes(long elements) {
        return Math.ceilDiv(elements, blockSize) * blockBytes;
    }

    /** Bits stored per weight, scales included. */
    public double bitsPerWeight() {
        return 8.0 * blockBytes / blockSize;
    }

    /** The type with ggml id {@code id}, or null when ggml has none (or Isthmus does not know it). */
    public static GgmlType byId(int id) {
        for (GgmlType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }
}
