package io.isthmus.runtime.onednn;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The part of oneDNN's C API this runtime calls, as FFM downcall handles created once from the
 * loaded library. Each method checks the returned {@code dnnl_status_t} and throws a
 * {@link DnnlException} naming the call. Handles (engine, memory descriptor, primitive...) are raw
 * addresses here; the typed wrappers of this package own and free them.
 */
final class Dnnl {
    // dnnl_query_t values used here
    static final int QUERY_IMPL_INFO_STR = 8;
    static final int QUERY_SRC_MD = 129;
    static final int QUERY_WEIGHTS_MD = 131;
    static final int QUERY_DST_MD = 133;
    // DNNL_ARG_* values
    static final int ARG_SRC = 1;
    static final int ARG_SRC_1 = 2;
    static final int ARG_DST = 17;
    static final int ARG_WEIGHTS = 33;
    static final int ARG_BIAS = 41;
    static final int ARG_ATTR_SCALES = 4096;
    static final int ARG_ATTR_ZERO_POINTS = 8192;
    static final int ARG_ATTR_MULTIPLE_POST_OP_BASE = 32768;
    // dnnl_format_tag_t values used here
    static final int TAG_ANY = 1;
    static final int TAG_AB = 3;
    static final int TAG_BA = 14;
    static final int MAX_NDIMS = 12;

    private static final Linker LINKER = Linker.nativeLinker();

    private final MethodHandle version, effectiveIsa;
    private final MethodHandle engineCreate, engineDestroy, streamCreate, streamWait, streamDestroy;
    private final MethodHandle mdCreateWithTag, mdCreateWithStrides, mdClone, mdDestroy, mdGetSize;
    private final MethodHandle memoryCreate, memoryDestroy;
    private final MethodHandle attrCreate, attrDestroy, attrSetScales, attrSetZeroPoints, attrSetFpmathV2, attrSetPostOps;
    private final MethodHandle postOpsCreate, postOpsDestroy, postOpsAppendEltwise, postOpsAppendBinary, postOpsAppendSum;
    private final MethodHandle matmulPdCreate, reorderPdCreate, pdQuery, pdQueryMd, pdDestroy;
    private final MethodHandle primitiveCreate, primitiveExecute, primitiveDestroy;

    Dnnl(SymbolLookup lib) {
        version = find(lib, "dnnl_version", FunctionDescriptor.of(ADDRESS));
        effectiveIsa = find(lib, "dnnl_get_effective_cpu_isa", FunctionDescriptor.of(JAVA_INT));
        engineCreate = status(lib, "dnnl_engine_create", ADDRESS, JAVA_INT, JAVA_LONG);
        engineDestroy = status(lib, "dnnl_engine_destroy", ADDRESS);
        streamCreate = status(lib, "dnnl_stream_create", ADDRESS, ADDRESS, JAVA_INT);
        streamWait = status(lib, "dnnl_stream_wait", ADDRESS);
        streamDestroy = status(lib, "dnnl_stream_destroy", ADDRESS);
        mdCreateWithTag = status(lib, "dnnl_memory_desc_create_with_tag", ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
        mdCreateWithStrides = status(lib, "dnnl_memory_desc_create_with_strides", ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS);
        mdClone = status(lib, "dnnl_memory_desc_clone", ADDRESS, ADDRESS);
        mdDestroy = status(lib, "dnnl_memory_desc_destroy", ADDRESS);
        mdGetSize = find(lib, "dnnl_memory_desc_get_size", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        memoryCreate = status(lib, "dnnl_memory_create", ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        memoryDestroy = status(lib, "dnnl_memory_destroy", ADDRESS);
        attrCreate = status(lib, "dnnl_primitive_attr_create", ADDRESS);
        attrDestroy = status(lib, "dnnl_primitive_attr_destroy", ADDRESS);
        attrSetScales = status(lib, "dnnl_primitive_attr_set_scales", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
        attrSetZeroPoints = status(lib, "dnnl_primitive_attr_set_zero_points", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
        attrSetFpmathV2 = status(lib, "dnnl_primitive_attr_set_fpmath_mode_v2", ADDRESS, JAVA_INT, JAVA_INT);
        attrSetPostOps = status(lib, "dnnl_primitive_attr_set_post_ops", ADDRESS, ADDRESS);
        postOpsCreate = status(lib, "dnnl_post_ops_create", ADDRESS);
        postOpsDestroy = status(lib, "dnnl_post_ops_destroy", ADDRESS);
        postOpsAppendEltwise = status(lib, "dnnl_post_ops_append_eltwise", ADDRESS, JAVA_INT, JAVA_FLOAT, JAVA_FLOAT);
        postOpsAppendBinary = status(lib, "dnnl_post_ops_append_binary", ADDRESS, JAVA_INT, ADDRESS);
        postOpsAppendSum = status(lib, "dnnl_post_ops_append_sum", ADDRESS, JAVA_FLOAT, JAVA_INT, JAVA_INT);
        matmulPdCreate = status(lib, "dnnl_matmul_primitive_desc_create", ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        reorderPdCreate = status(lib, "dnnl_reorder_primitive_desc_create", ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        pdQuery = status(lib, "dnnl_primitive_desc_query", ADDRESS, JAVA_INT, JAVA_INT, ADDRESS);
        pdQueryMd = find(lib, "dnnl_primitive_desc_query_md", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, JAVA_INT));
        pdDestroy = status(lib, "dnnl_primitive_desc_destroy", ADDRESS);
        primitiveCreate = status(lib, "dnnl_primitive_create", ADDRESS, ADDRESS);
        primitiveExecute = status(lib, "dnnl_primitive_execute", ADDRESS, ADDRESS, JAVA_INT, ADDRESS);
        primitiveDestroy = status(lib, "dnnl_primitive_destroy", ADDRESS);
    }

    private static MethodHandle find(SymbolLookup lib, String name, FunctionDescriptor fd) {
        MemorySegment symbol = lib.find(name).orElseThrow(
                () -> new UnsatisfiedLinkError("the oneDNN library has no symbol " + name));
        return LINKER.downcallHandle(symbol, fd);
    }

    private static MethodHandle status(SymbolLookup lib, String name, ValueLayout... args) {
        return find(lib, name, FunctionDescriptor.of(JAVA_INT, args));
    }

    private static void check(String call, int status) {
        if (status != 0) {
            throw new DnnlException(call, status);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    /** "major.minor.patch". */
    String version() {
        try {
            MemorySegment v = ((MemorySegment) version.invokeExact()).reinterpret(12);
            return v.get(JAVA_INT, 0) + "." + v.get(JAVA_INT, 4) + "." + v.get(JAVA_INT, 8);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int effectiveCpuIsa() {
        try {
            return (int) effectiveIsa.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Calls a {@code dnnl_*_create(T *out, ...)} handle and returns *out. */
    private static MemorySegment created(String call, MethodHandle h, Object... rest) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            Object[] args = new Object[rest.length + 1];
            args[0] = out;
            System.arraycopy(rest, 0, args, 1, rest.length);
            check(call, (int) h.invokeWithArguments(args));
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static void destroyed(String call, MethodHandle h, MemorySegment handle) {
        try {
            check(call, (int) h.invokeExact(handle));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment engineCreateCpu() {
        return created("dnnl_engine_create", engineCreate, 1 /* dnnl_cpu */, 0L);
    }

    void engineDestroy(MemorySegment engine) {
        destroyed("dnnl_engine_destroy", engineDestroy, engine);
    }

    MemorySegment streamCreate(MemorySegment engine) {
        return created("dnnl_stream_create", streamCreate, engine, 1 /* in order */);
    }

    void streamWait(MemorySegment stream) {
        try {
            check("dnnl_stream_wait", (int) streamWait.invokeExact(stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void streamDestroy(MemorySegment stream) {
        destroyed("dnnl_stream_destroy", streamDestroy, stream);
    }

    MemorySegment mdCreateWithTag(long[] dims, DataType type, int tag) {
        try (Arena arena = Arena.ofConfined()) {
            return created("dnnl_memory_desc_create_with_tag", mdCreateWithTag,
                    dims.length, dimsArray(arena, dims), type.code, tag);
        }
    }

    MemorySegment mdCreateWithStrides(long[] dims, DataType type, long[] strides) {
        try (Arena arena = Arena.ofConfined()) {
            return created("dnnl_memory_desc_create_with_strides", mdCreateWithStrides,
                    dims.length, dimsArray(arena, dims), type.code, dimsArray(arena, strides));
        }
    }

    MemorySegment mdClone(MemorySegment md) {
        return created("dnnl_memory_desc_clone", mdClone, md);
    }

    void mdDestroy(MemorySegment md) {
        destroyed("dnnl_memory_desc_destroy", mdDestroy, md);
    }

    long mdSize(MemorySegment md) {
        try {
            return (long) mdGetSize.invokeExact(md);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment memoryCreate(MemorySegment md, MemorySegment engine, MemorySegment data) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check("dnnl_memory_create", (int) memoryCreate.invokeExact(out, md, engine, data));
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void memoryDestroy(MemorySegment memory) {
        destroyed("dnnl_memory_destroy", memoryDestroy, memory);
    }

    MemorySegment attrCreate() {
        return created("dnnl_primitive_attr_create", attrCreate);
    }

    void attrDestroy(MemorySegment attr) {
        destroyed("dnnl_primitive_attr_destroy", attrDestroy, attr);
    }

    void attrSetScales(MemorySegment attr, int arg, int mask, long[] groups, DataType type) {
        setQuantParams("dnnl_primitive_attr_set_scales", attrSetScales, attr, arg, mask, groups, type);
    }

    void attrSetZeroPoints(MemorySegment attr, int arg, int mask, long[] groups, DataType type) {
        setQuantParams("dnnl_primitive_attr_set_zero_points", attrSetZeroPoints, attr, arg, mask, groups, type);
    }

    private static void setQuantParams(String call, MethodHandle h, MemorySegment attr, int arg, int mask,
                                       long[] groups, DataType type) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment g = groups.length == 0 ? MemorySegment.NULL : dimsArray(arena, groups);
            check(call, (int) h.invokeExact(attr, arg, mask, groups.length, g, type.code));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void attrSetFpmathMode(MemorySegment attr, int mode, boolean applyToInt) {
        try {
            check("dnnl_primitive_attr_set_fpmath_mode_v2", (int) attrSetFpmathV2.invokeExact(attr, mode, applyToInt ? 1 : 0));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void attrSetPostOps(MemorySegment attr, MemorySegment postOps) {
        try {
            check("dnnl_primitive_attr_set_post_ops", (int) attrSetPostOps.invokeExact(attr, postOps));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment postOpsCreate() {
        return created("dnnl_post_ops_create", postOpsCreate);
    }

    void postOpsDestroy(MemorySegment postOps) {
        destroyed("dnnl_post_ops_destroy", postOpsDestroy, postOps);
    }

    void postOpsAppendEltwise(MemorySegment postOps, int algorithm, float alpha, float beta) {
        try {
            check("dnnl_post_ops_append_eltwise", (int) postOpsAppendEltwise.invokeExact(postOps, algorithm, alpha, beta));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void postOpsAppendBinary(MemorySegment postOps, int algorithm, MemorySegment src1Md) {
        try {
            check("dnnl_post_ops_append_binary", (int) postOpsAppendBinary.invokeExact(postOps, algorithm, src1Md));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void postOpsAppendSum(MemorySegment postOps, float scale, int zeroPoint, DataType type) {
        try {
            check("dnnl_post_ops_append_sum", (int) postOpsAppendSum.invokeExact(postOps, scale, zeroPoint,
                    type == null ? 0 : type.code));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment matmulPdCreate(MemorySegment engine, MemorySegment src, MemorySegment weights, MemorySegment bias,
                                 MemorySegment dst, MemorySegment attr) {
        return created("dnnl_matmul_primitive_desc_create", matmulPdCreate, engine, src, weights, bias, dst, attr);
    }

    MemorySegment reorderPdCreate(MemorySegment src, MemorySegment engine, MemorySegment dst, MemorySegment attr) {
        return created("dnnl_reorder_primitive_desc_create", reorderPdCreate, src, engine, dst, engine, attr);
    }

    /** The implementation name of a primitive descriptor, e.g. {@code brg_matmul:avx10_1_512_amx}. */
    String pdImplInfo(MemorySegment pd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check("dnnl_primitive_desc_query(impl_info_str)", (int) pdQuery.invokeExact(pd, QUERY_IMPL_INFO_STR, 0, out));
            return out.get(ADDRESS, 0).reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A memory descriptor of {@code pd}, owned by it (clone it to keep it longer). */
    MemorySegment pdQueryMd(MemorySegment pd, int what) {
        try {
            MemorySegment md = (MemorySegment) pdQueryMd.invokeExact(pd, what, 0);
            if (md.equals(MemorySegment.NULL)) {
                throw new DnnlException("dnnl_primitive_desc_query_md(" + what + ")", 2);
            }
            return md;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void pdDestroy(MemorySegment pd) {
        destroyed("dnnl_primitive_desc_destroy", pdDestroy, pd);
    }

    MemorySegment primitiveCreate(MemorySegment pd) {
        return created("dnnl_primitive_create", primitiveCreate, pd);
    }

    /** {@code args} holds {@code count} dnnl_exec_arg_t: {int arg; dnnl_memory_t memory;}. */
    void primitiveExecute(MemorySegment primitive, MemorySegment stream, int count, MemorySegment args) {
        try {
            check("dnnl_primitive_execute", (int) primitiveExecute.invokeExact(primitive, stream, count, args));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void primitiveDestroy(MemorySegment primitive) {
        destroyed("dnnl_primitive_destroy", primitiveDestroy, primitive);
    }

    private static MemorySegment dimsArray(Arena arena, long[] values) {
        if (values.length > MAX_NDIMS) {
            throw new IllegalArgumentException("oneDNN takes at most " + MAX_NDIMS + " dimensions, got " + values.length);
        }
        MemorySegment s = arena.allocate(JAVA_LONG, MAX_NDIMS);
        MemorySegment.copy(values, 0, s, JAVA_LONG, 0, values.length);
        return s;
    }
}
