package io.isthmus.runtime.onednn;

import java.lang.foreign.MemorySegment;

/**
 * Primitive attributes, built in place: scales and zero points per argument (with a mask of the
 * dimensions that have their own value, and groups along them), the fp math mode, post-ops.
 * Scales and zero points are passed at execution as {@code ARG_ATTR_SCALES | arg} and
 * {@code ARG_ATTR_ZERO_POINTS | arg}. Owned: {@link #close()} frees it (a primitive descriptor
 * keeps its own copy).
 */
public final class PrimitiveAttr implements AutoCloseable {
    /** {@code dnnl_fpmath_mode_t}. */
    public enum FpMath {
        STRICT(0), BF16(1), F16(2), ANY(3), TF32(4);

        final int code;

        FpMath(int code) {
            this.code = code;
        }
    }

    /** Elementwise post-op algorithms ({@code dnnl_alg_kind_t}). */
    public enum Eltwise {
        RELU(0x20), GELU_TANH(0x2b), SWISH(0x2c);

        final int code;

        Eltwise(int code) {
            this.code = code;
        }
    }

    /** Binary post-op algorithms. */
    public enum Binary {
        ADD(0x1fff0), MUL(0x1fff1);

        final int code;

        Binary(int code) {
            this.code = code;
        }
    }

    private final Dnnl api;
    final MemorySegment handle;
    private MemorySegment postOps;
    private boolean closed;

    public PrimitiveAttr(OneDnn dnn) {
        this.api = dnn.api;
        this.handle = api.attrCreate();
    }

    /** Scales of argument {@code arg} (e.g. weights), one per index of the dims set in {@code mask}, shared by {@code groups}. */
    public PrimitiveAttr scales(int arg, int mask, long[] groups, DataType type) {
        api.attrSetScales(handle, arg, mask, groups, type);
        return this;
    }

    /** Zero points of argument {@code arg}, as for {@link #scales}. */
    public PrimitiveAttr zeroPoints(int arg, int mask, long[] groups, DataType type) {
        api.attrSetZeroPoints(handle, arg, mask, groups, type);
        return this;
    }

    /**
     * Lets the primitive compute in a lower precision; with {@code applyToInt}, integer weights are
     * converted to it too (oneDNN's weight decompression: bf16 src, s8/u4 weights).
     */
    public PrimitiveAttr fpMath(FpMath mode, boolean applyToInt) {
        api.attrSetFpmathMode(handle, mode.code, applyToInt);
        return this;
    }

    /** Appends {@code dst = op(dst)}. */
    public PrimitiveAttr eltwise(Eltwise op, float alpha, float beta) {
        api.postOpsAppendEltwise(postOps(), op.code, alpha, beta);
        return setPostOps();
    }

    /**
     * Appends {@code dst = dst op src1}, src1 passed at execution as the argument
     * {@link #binaryPostOpArg}(index of this binary post-op among all post-ops).
     */
    public PrimitiveAttr binary(Binary op, MemoryDesc src1) {
        api.postOpsAppendBinary(postOps(), op.code, src1.handle);
        return setPostOps();
    }

    /** Appends {@code dst = scale · (previous dst) + result}: accumulation into the destination. */
    public PrimitiveAttr sum(float scale) {
        api.postOpsAppendSum(postOps(), scale, 0, null);
        return setPostOps();
    }

    /** The execution argument of the source of post-op number {@code postOpIndex}. */
    public static int binaryPostOpArg(int postOpIndex) {
        return Dnnl.ARG_ATTR_MULTIPLE_POST_OP_BASE * (postOpIndex + 1) | Dnnl.ARG_SRC_1;
    }

    private MemorySegment postOps() {
        if (postOps == null) {
            postOps = api.postOpsCreate();
        }
        return postOps;
    }

    private PrimitiveAttr setPostOps() {
        api.attrSetPostOps(handle, postOps);
        return this;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (postOps != null) {
                api.postOpsDestroy(postOps);
            }
            api.attrDestroy(handle);
        }
    }
}
