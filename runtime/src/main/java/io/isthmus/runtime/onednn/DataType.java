package io.isthmus.runtime.onednn;

/** The oneDNN element types this runtime uses ({@code dnnl_data_type_t}). */
public enum DataType {
    F32(3, 32), BF16(2, 16), F16(1, 16), S32(4, 32), S8(5, 8), U8(6, 8), S4(11, 4), U4(12, 4);

    final int code;
    final int bits;

    DataType(int code, int bits) {
        this.code = code;
        this.bits = bits;
    }

    /** Bytes of {@code count} elements (4-bit types pack two per byte). */
    public long bytes(long count) {
        return (count * bits + 7) / 8;
    }
}
