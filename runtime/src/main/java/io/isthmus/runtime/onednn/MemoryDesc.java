package io.isthmus.runtime.onednn;

import java.lang.foreign.MemorySegment;

/**
 * A oneDNN memory descriptor (dims, element type, layout), owned: {@link #close()} frees it.
 * Dimensions follow oneDNN's logical order; for matmul, src is M×K, weights K×N, dst M×N.
 */
public final class MemoryDesc implements AutoCloseable {
    private final Dnnl api;
    final MemorySegment handle;
    private boolean closed;

    private MemoryDesc(Dnnl api, MemorySegment handle) {
        this.api = api;
        this.handle = handle;
    }

    /** Row-major rows × cols. */
    public static MemoryDesc rowMajor(OneDnn dnn, long rows, long cols, DataType type) {
        return new MemoryDesc(dnn.api, dnn.api.mdCreateWithTag(new long[] {rows, cols}, type, Dnnl.TAG_AB));
    }

    /**
     * rows × cols stored column after column: the K×N weights of a matmul whose N×K matrix is
     * row-major (every output row's K inputs contiguous).
     */
    public static MemoryDesc columnMajor(OneDnn dnn, long rows, long cols, DataType type) {
        return new MemoryDesc(dnn.api, dnn.api.mdCreateWithTag(new long[] {rows, cols}, type, Dnnl.TAG_BA));
    }

    /** Any dims with explicit element strides. */
    public static MemoryDesc strided(OneDnn dnn, long[] dims, DataType type, long[] strides) {
        return new MemoryDesc(dnn.api, dnn.api.mdCreateWithStrides(dims, type, strides));
    }

    /** rows × cols in whatever layout the primitive prefers ({@code format_tag any}). */
    public static MemoryDesc any(OneDnn dnn, long rows, long cols, DataType type) {
        return new MemoryDesc(dnn.api, dnn.api.mdCreateWithTag(new long[] {rows, cols}, type, Dnnl.TAG_ANY));
    }

    /** An owned copy of a descriptor that belongs to something else (a primitive descriptor). */
    static MemoryDesc copyOf(Dnnl api, MemorySegment md) {
        return new MemoryDesc(api, api.mdClone(md));
    }

    /** Bytes memory of this descriptor takes, padding included. */
    public long byteSize() {
        return api.mdSize(handle);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            api.mdDestroy(handle);
        }
    }
}
