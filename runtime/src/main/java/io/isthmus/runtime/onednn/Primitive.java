package io.isthmus.runtime.onednn;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A created oneDNN primitive with its primitive descriptor: what it runs ({@link #implementation()},
 * e.g. {@code brg_matmul:avx10_1_512_amx}), the layouts it chose, and execution on the stream.
 * Immutable once created and safe to execute from several threads (oneDNN primitives are).
 */
public final class Primitive implements AutoCloseable {
    private static final long ARG_BYTES = 16; // dnnl_exec_arg_t: int arg; (pad) dnnl_memory_t memory

    private final OneDnn dnn;
    private final MemorySegment pd;
    private final MemorySegment primitive;
    private final String implementation;
    private boolean closed;

    /** Takes ownership of {@code pd}; destroys it if the primitive cannot be created. */
    Primitive(OneDnn dnn, MemorySegment pd) {
        this.dnn = dnn;
        this.pd = pd;
        try {
            this.implementation = dnn.api.pdImplInfo(pd);
            this.primitive = dnn.api.primitiveCreate(pd);
        } catch (RuntimeException e) {
            dnn.api.pdDestroy(pd);
            throw e;
        }
    }

    /** A matmul {@code dst = src · weights (+ bias)} with {@code attr} (null for none), bias null for none. */
    public static Primitive matmul(OneDnn dnn, MemoryDesc src, MemoryDesc weights, MemoryDesc bias, MemoryDesc dst,
                                   PrimitiveAttr attr) {
        return new Primitive(dnn, dnn.api.matmulPdCreate(dnn.engine, src.handle, weights.handle,
                bias == null ? MemorySegment.NULL : bias.handle, dst.handle,
                attr == null ? MemorySegment.NULL : attr.handle));
    }

    /** A reorder (layout and/or type conversion) from {@code from} to {@code to}. */
    public static Primitive reorder(OneDnn dnn, MemoryDesc from, MemoryDesc to, PrimitiveAttr attr) {
        return new Primitive(dnn, dnn.api.reorderPdCreate(from.handle, dnn.engine, to.handle,
                attr == null ? MemorySegment.NULL : attr.handle));
    }

    /** The implementation oneDNN picked, as ONEDNN_VERBOSE names it. */
    public String implementation() {
        return implementation;
    }

    /** The weights layout this primitive reads (an owned copy). */
    public MemoryDesc weightsDesc() {
        return MemoryDesc.copyOf(dnn.api, dnn.api.pdQueryMd(pd, Dnnl.QUERY_WEIGHTS_MD));
    }

    /** Runs with {@code memories[i]} as execution argument {@code args[i]} and waits for the result. */
    public void execute(int[] args, DnnlMemory[] memories) {
        if (args.length != memories.length) {
            throw new IllegalArgumentException(args.length + " argument ids for " + memories.length + " memories");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment list = arena.allocate(ARG_BYTES * args.length, 8);
            for (int i = 0; i < args.length; i++) {
                list.set(JAVA_INT, i * ARG_BYTES, args[i]);
                list.set(ADDRESS, i * ARG_BYTES + 8, memories[i].handle);
            }
            dnn.api.primitiveExecute(primitive, dnn.stream, args.length, list);
            dnn.api.streamWait(dnn.stream);
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            dnn.api.primitiveDestroy(primitive);
            dnn.api.pdDestroy(pd);
        }
    }
}
