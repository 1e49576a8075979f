package io.isthmus.runtime.onednn;

import java.lang.foreign.MemorySegment;

/**
 * A oneDNN memory object over a {@link MemorySegment} of ours (zero copy: oneDNN reads and writes
 * the segment in place). The segment must outlive the object's use; {@link #close()} frees only
 * the object.
 */
public final class DnnlMemory implements AutoCloseable {
    private final Dnnl api;
    final MemorySegment handle;
    private boolean closed;

    private DnnlMemory(Dnnl api, MemorySegment handle) {
        this.api = api;
        this.handle = handle;
    }

    /** Wraps {@code data}, which must hold at least {@code desc.byteSize()} bytes. */
    public static DnnlMemory wrap(OneDnn dnn, MemoryDesc desc, MemorySegment data) {
        long need = desc.byteSize();
        if (data.byteSize() < need) {
            throw new IllegalArgumentException("a segment of " + data.byteSize() + " bytes for memory of " + need);
        }
        return new DnnlMemory(dnn.api, dnn.api.memoryCreate(desc.handle, dnn.engine, data));
    }

    /**
     * Wraps a view into a larger buffer (e.g. some columns of a row-major matrix): oneDNN's size
     * of a strided descriptor counts whole rows, which the view's last row need not have.
     */
    static DnnlMemory wrapView(OneDnn dnn, MemoryDesc desc, MemorySegment data) {
        return new DnnlMemory(dnn.api, dnn.api.memoryCreate(desc.handle, dnn.engine, data));
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            api.memoryDestroy(handle);
        }
    }
}
