package io.isthmus.runtime.onednn;

import io.isthmus.runtime.kernel.ComputePool;

import java.lang.foreign.MemorySegment;

/**
 * One weight matrix (N output rows × K inputs) held in the layout oneDNN asked for, and the
 * product {@code y = x · Wᵀ} of m activation rows through it. The steps around the primitive run on
 * the compute pool; the primitive runs on oneDNN's threads with the pool quiesced.
 */
abstract class PreparedWeights {
    /** M of the matmul that decides the weights layout at load (format_tag any); every M then reuses it. */
    static final int LAYOUT_ROWS = 128;

    private static final System.Logger LOG = System.getLogger(PreparedWeights.class.getName());

    final OneDnn dnn;
    final int n;
    final int k;

    PreparedWeights(OneDnn dnn, int n, int k) {
        this.dnn = dnn;
        this.n = n;
        this.k = k;
    }

    /** The path's name in benchmarks: {@code bf16}, {@code int8}, ... */
    abstract String path();

    /** The primitive for m rows (created on first use, then from the cache). */
    abstract MatmulPlan plan(int m);

    /** y (m × n from yOff) = x (m × k from xOff) · Wᵀ. */
    abstract void multiply(ComputePool pool, float[] x, int xOff, int m, float[] y, int yOff);

    /** The primitive alone: {@code src} holds m rows already in the path's activation type, {@code dst} receives m × n f32. */
    abstract void executeNative(ComputePool pool, int m, MemorySegment src, MemorySegment dst);

    /** Bytes of m activation rows in the path's source type. */
    abstract long sourceBytes(int m);

    private record SupportKey(String path, int m, int n, int k) {
    }

    /**
     * Whether oneDNN has a primitive for m rows with this path's weight layout (chosen at
     * {@link #LAYOUT_ROWS}); asked once per path and shape, a refusal is logged once and callers
     * keep to the Vector API for that m.
     */
    boolean supports(int m) {
        return dnn.cache().get(new SupportKey(path(), m, n, k), () -> {
            try {
                plan(m);
                return true;
            } catch (DnnlException e) {
                LOG.log(System.Logger.Level.WARNING, "oneDNN has no " + path() + " matmul for " + m + "×" + k + " · " + k
                        + "×" + n + " in the reordered layout (" + e.getMessage() + "); that size runs on the Vector API");
                return false;
            }
        });
    }

    /** Which implementation oneDNN runs for m rows, e.g. {@code brg_matmul:avx10_1_512_amx}. */
    String implementation(int m) {
        return plan(m).primitive().implementation();
    }

    /** {@link #multiply} for paths whose activations are bf16: convert, {@link #executeNative}, copy back. */
    final void multiplyFromBf16(ComputePool pool, float[] x, int xOff, int m, float[] y, int yOff) {
        Activations buffers = Activations.local();
        MemorySegment src = buffers.src(2L * m * k);
        MemorySegment dst = buffers.dst(4L * m * n);
        Activations.toBf16(pool, x, xOff, m * k, src);
        executeNative(pool, m, src, dst);
        Activations.copyOut(pool, dst, m, n, y, yOff, null);
    }

    /**
     * Executes {@code plan} on src/dst segments with the extra arguments given (weights, scales,
     * ...); dst may be a view of some columns of a larger result (the plan's dst strides say so).
     */
    void execute(ComputePool pool, MatmulPlan plan, MemorySegment src, MemorySegment dst, int[] args, DnnlMemory[] extra) {
        pool.quiesce();
        try (DnnlMemory s = DnnlMemory.wrap(dnn, plan.src(), src);
             DnnlMemory d = DnnlMemory.wrapView(dnn, plan.dst(), dst)) {
            int[] allArgs = new int[args.length + 2];
            DnnlMemory[] all = new DnnlMemory[args.length + 2];
            allArgs[0] = Dnnl.ARG_SRC;
            all[0] = s;
            allArgs[1] = Dnnl.ARG_DST;
            all[1] = d;
            System.arraycopy(args, 0, allArgs, 2, args.length);
            System.arraycopy(extra, 0, all, 2, extra.length);
            plan.primitive().execute(allArgs, all);
        }
    }

    /** Reorders {@code bytes} of plain data described by {@code from} into a new segment of layout {@code to}. */
    static MemorySegment reordered(OneDnn dnn, MemoryDesc from, MemorySegment data, MemoryDesc to) {
        MemorySegment out = java.lang.foreign.Arena.ofAuto().allocate(to.byteSize(), 64);
        try (Primitive reorder = Primitive.reorder(dnn, from, to, null);
             DnnlMemory src = DnnlMemory.wrap(dnn, from, data);
             DnnlMemory dst = DnnlMemory.wrap(dnn, to, out)) {
            reorder.execute(new int[] {Dnnl.ARG_SRC, Dnnl.ARG_DST}, new DnnlMemory[] {src, dst});
        }
        return out;
    }
}
