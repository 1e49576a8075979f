package io.isthmus.runtime.model;

import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.I;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;
import static io.isthmus.runtime.kernel.VectorSettings.S;

import io.isthmus.collectives.Bf16;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Keys and values of one sequence for every layer: {@code kvDim} floats per entry (all KV heads of
 * this rank side by side). Values are stored entry by entry; keys transposed, one row of all
 * entries per layer and key dimension, so that the scores of one query against a run of entries
 * ({@link #scoreKeys}) are vector FMAs along the entries, with no horizontal sum per entry. The
 * weighted sum of values ({@link #addWeightedValues}) keeps its output in registers across
 * entries. Single entries are read through {@link #dotKey} and {@link #addScaledValue}; the element
 * type (f32 or bf16) stays a detail of the cache.
 *
 * <p>A plain sequence stores position p at entry p. A beam-search cache ({@link KvShape#beams()}
 * above 1) is an indirect-access cache, as IPEX's: the prompt's positions are stored once and
 * shared by every beam, each later position once per beam, written by whichever beam computed
 * it, and nothing is ever copied or reordered. A beam-history table records, for every step,
 * which beam of the previous step each beam continues ({@link #advanceBeams}); from it each
 * beam's lineage — the entry holding each of its past positions — is resolved once per step,
 * and attention gathers K/V through {@link #entryOf}.
 */
public abstract sealed class KvCache permits KvCache.F32, KvCache.BF16 {
    private static final int[] NO_LINEAGE = new int[0];
    /** Entries (and head dimensions) the run methods take at a time: four vectors. */
    private static final int BLOCK = 4 * LANES;
    /** Entries whose values one pass of {@link #addWeightedValues} keeps hot for the next pair of query heads. */
    private static final int VALUE_RUN = 64;
    protected final int layers;
    protected final int kvDim;
    protected final int entries;
    private final KvShape shape;
    /** history[k * beams + b]: the beam of step k - 1 that beam b continues at step k (position shared + k). */
    private final int[] history;
    /** lineage[b][k]: the entry holding position shared + k of beam b's sequence, for the steps taken. */
    private final int[][] lineage;
    /** The next position {@link #advanceBeams} expects. */
    private int nextBeamPosition;
    KvCache(int layers, KvShape shape, int kvDim) {
        this.layers = layers;
        this.kvDim = kvDim;
        this.shape = shape;
        this.entries = Math.toIntExact(shape.entries());
        int steps = shape.capacity() - shape.sharedPositions();
        this.history = new int[shape.beams() == 1 ? 0 : steps * shape.beams()];
        this.lineage = new int[shape.beams()][];
        for (int b = 0; b < shape.beams(); b++) {
            lineage[b] = shape.beams() == 1 ? NO_LINEAGE : new int[steps];
        }
        this.nextBeamPosition = shape.sharedPositions();
    }

    public static KvCache create(KvCacheType type, int layers, int capacity, int kvDim) {
        return create(type, layers, KvShape.single(capacity), kvDim);
    }

    public static KvCache create(KvCacheType type, int layers, KvShape shape, int kvDim) {
        return switch (type) {
            case F32 -> new F32(layers, shape, kvDim);
            case BF16 -> new BF16(layers, shape, kvDim);
        };
    }

    public abstract KvCacheType type();

    public KvShape shape() {
        return shape;
    }

    /** Positions one sequence (one beam) can hold. */
    public int capacity() {
        return shape.capacity();
    }

    public int beams() {
        return shape.beams();
    }

    /** Positions stored once for all beams (the whole capacity for a plain sequence). */
    public int sharedPositions() {
        return shape.sharedPositions();
    }

    /** The entry holding position {@code pos} of beam {@code beam}'s sequence. */
    public final int entryOf(int beam, int pos) {
        int shared = shape.sharedPositions();
        return pos < shared ? pos : lineage[beam][pos - shared];
    }

    /** Beam {@code beam}'s entries of the positions from {@link #sharedPositions()} on (attention reads it directly). */
    final int[] lineage(int beam) {
        return lineage[beam];
    }

    /**
     * One beam-search step: every beam gets position {@code pos} (the prompt's length at the first
     * step, then one more each time), and beam b continues beam {@code parents[from + b]} of the
     * previous step (ignored at the first step, where every beam continues the prompt). Records the
     * parents in the history table and resolves each beam's lineage; no key or value moves.
     */
    public void advanceBeams(int pos, int[] parents, int from) {
        int beams = shape.beams();
        if (beams == 1) {
            throw new IllegalStateException("advanceBeams on a single-sequence KV cache");
        }
        if (pos != nextBeamPosition || pos >= shape.capacity()) {
            throw new IllegalArgumentException("beam step at position " + pos + ", expected " + nextBeamPosition
                    + " (capacity " + shape.capacity() + ")");
        }
        int shared = shape.sharedPositions();
        int k = pos - shared;
        for (int b = 0; b < beams; b++) {
            int parent = k == 0 ? 0 : parents[from + b];
            if (parent < 0 || parent >= beams) {
                throw new IllegalArgumentException("beam " + b + " continues beam " + parent + " of " + beams);
            }
            history[k * beams + b] = parent;
        }
        for (int b = 0; b < beams; b++) {
            int[] lin = lineage[b];
            lin[k] = shared + k * beams + b;
            int q = history[k * beams + b];
            for (int j = k - 1; j >= 0; j--) { // walk the parents back to the prompt
                lin[j] = shared + j * beams + q;
                q = history[j * beams + q];
            }
        }
        nextBeamPosition = pos + 1;
    }

    /** The position the next {@link #advanceBeams} must be for (a beam-search cache). */
    public int nextBeamPosition() {
        return nextBeamPosition;
    }

    /** Stores the key and value vectors ({@code kvDim} floats each) of {@code layer} at {@code entry}. */
    public abstract void store(int layer, int entry, float[] k, int kOff, float[] v, int vOff);

    /** Σ q[qOff + i] · key[layer][entry][headOff + i] for i < len (one strided read per dimension). */
    public final float dotKey(int layer, int entry, int headOff, float[] q, int qOff, int len) {
        checkEntry(entry);
        float s = 0;
        for (int i = 0; i < len; i++) {
            s += q[qOff + i] * key(keyRow(layer, headOff + i) + entry);
        }
        return s;
    }

    /** out[outOff + i] += w · value[layer][entry][headOff + i] for i < len. */
    public final void addScaledValue(int layer, int entry, int headOff, float w, float[] out, int outOff, int len) {
        int at = index(layer, entry) + headOff;
        int i = 0;
        FloatVector wv = FloatVector.broadcast(F, w);
        for (; i <= len - LANES; i += LANES) {
            valueVector(at + i).fma(wv, FloatVector.fromArray(F, out, outOff + i)).intoArray(out, outOff + i);
        }
        for (; i < len; i++) {
            out[outOff + i] += w * value(at + i);
        }
    }

    /**
     * The scores of {@code rows} query vectors that read this KV head (query heads of a group,
     * prompt rows, beams) against the entries in [from, to): {@code scores[r * sStride + e − from] =
     * scale · Σ_i q[queryAt[r] + i] · key[layer][e][headOff + i]}. Runs along the transposed key
     * rows four vectors of entries at a time, two query vectors together (each key vector loaded
     * once for both); a last partial block reads later entries or the padding and stores only its
     * live lanes. (A last block taken a vector at a time measured slower: single vectors along 64
     * key rows stall on their loads.)
     */
    public final void scoreKeys(int layer, int headOff, int len, float[] q, int[] queryAt, int rows, int from, int to,
                                float scale, float[] scores, int sStride) {
        if (from >= to) {
            return;
        }
        checkEntry(from);
        checkEntry(to - 1);
        int n = to - from;
        int row0 = keyRow(layer, headOff) + from; // key dimension i of entry from + e is at row0 + i·entries + e
        for (int e = 0; e < n; e += BLOCK) { // a last partial block reads past `to` and stores its live lanes
            int r = 0;
            for (; r + 1 < rows; r += 2) {
                scoreBlock2(row0 + e, len, q, queryAt[r], queryAt[r + 1], scale, scores, r * sStride + e,
                        (r + 1) * sStride + e, n - e);
            }
            if (r < rows) {
                scoreBlock(row0 + e, len, q, queryAt[r], scale, scores, r * sStride + e, n - e);
            }
        }
    }

    /**
     * Scores of two query vectors against the block of entries whose dimension-0 keys start at
     * {@code at}, {@code left} of them live (a vector of keys loaded once for both heads).
     */
    private void scoreBlock2(int at, int len, float[] q, int q0, int q1, float scale, float[] scores, int s0, int s1, int left) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int i = 0; i < len; i++, at += entries) {
            FloatVector k0 = keyVector(at), k1 = keyVector(at + LANES);
            FloatVector k2 = keyVector(at + 2 * LANES), k3 = keyVector(at + 3 * LANES);
            FloatVector x = FloatVector.broadcast(F, q[q0 + i]), y = FloatVector.broadcast(F, q[q1 + i]);
            a0 = k0.fma(x, a0);
            a1 = k1.fma(x, a1);
            a2 = k2.fma(x, a2);
            a3 = k3.fma(x, a3);
            b0 = k0.fma(y, b0);
            b1 = k1.fma(y, b1);
            b2 = k2.fma(y, b2);
            b3 = k3.fma(y, b3);
        }
        storeBlock(a0.mul(scale), a1.mul(scale), a2.mul(scale), a3.mul(scale), scores, s0, left);
        storeBlock(b0.mul(scale), b1.mul(scale), b2.mul(scale), b3.mul(scale), scores, s1, left);
    }

    /** Scores of one query vector against a block of entries, {@code left} of them live. */
    private void scoreBlock(int at, int len, float[] q, int q0, float scale, float[] scores, int s0, int left) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < len; i++, at += entries) {
            FloatVector x = FloatVector.broadcast(F, q[q0 + i]);
            a0 = keyVector(at).fma(x, a0);
            a1 = keyVector(at + LANES).fma(x, a1);
            a2 = keyVector(at + 2 * LANES).fma(x, a2);
            a3 = keyVector(at + 3 * LANES).fma(x, a3);
        }
        storeBlock(a0.mul(scale), a1.mul(scale), a2.mul(scale), a3.mul(scale), scores, s0, left);
    }

    /**
     * The attention outputs of {@code rows} query vectors that read this KV head: {@code
     * out[outAt[r] + i] += Σ_e weights[r * wStride + e − from] · value[layer][e][headOff + i]} for
     * the entries e in [from, to) and i < len. Four vectors of the head dimension stay in registers
     * while a run of entries streams by, two query vectors together (each value vector loaded
     * once for both); lanes past {@code len} read the padding or the next head and are not stored.
     */
    public final void addWeightedValues(int layer, int headOff, int len, float[] weights, int wStride, int[] outAt,
                                        int rows, int from, int to, float[] out) {
        if (from >= to) {
            return;
        }
        int first = index(layer, from) + headOff;
        index(layer, to - 1);
        int n = to - from;
        for (int i = 0; i < len; i += BLOCK) {
            for (int e0 = 0; e0 < n; e0 += VALUE_RUN) { // a run of entries' values stays in L1 for the next pair of rows
                int e1 = Math.min(n, e0 + VALUE_RUN);
                int r = 0;
                for (; r + 1 < rows; r += 2) {
                    addValues2(first + e0 * kvDim + i, e1 - e0, weights, r * wStride + e0, (r + 1) * wStride + e0, out,
                            outAt[r] + i, outAt[r + 1] + i, len - i);
                }
                if (r < rows) {
                    addValues(first + e0 * kvDim + i, e1 - e0, weights, r * wStride + e0, out, outAt[r] + i, len - i);
                }
            }
        }
    }

    /**
     * Adds the weighted values of {@code count} entries (the first at {@code at}) to the outputs of
     * two query vectors: {@code left} live floats from {@code o0} and from {@code o1}.
     */
    private void addValues2(int at, int count, float[] weights, int w0, int w1, float[] out, int o0, int o1, int left) {
        FloatVector a0 = load(out, o0, left), a1 = load(out, o0 + LANES, left - LANES);
        FloatVector a2 = load(out, o0 + 2 * LANES, left - 2 * LANES), a3 = load(out, o0 + 3 * LANES, left - 3 * LANES);
        FloatVector b0 = load(out, o1, left), b1 = load(out, o1 + LANES, left - LANES);
        FloatVector b2 = load(out, o1 + 2 * LANES, left - 2 * LANES), b3 = load(out, o1 + 3 * LANES, left - 3 * LANES);
        for (int e = 0; e < count; e++, at += kvDim) {
            FloatVector v0 = valueVector(at), v1 = valueVector(at + LANES);
            FloatVector v2 = valueVector(at + 2 * LANES), v3 = valueVector(at + 3 * LANES);
            FloatVector x = FloatVector.broadcast(F, weights[w0 + e]), y = FloatVector.broadcast(F, weights[w1 + e]);
            a0 = v0.fma(x, a0);
            a1 = v1.fma(x, a1);
            a2 = v2.fma(x, a2);
            a3 = v3.fma(x, a3);
            b0 = v0.fma(y, b0);
            b1 = v1.fma(y, b1);
            b2 = v2.fma(y, b2);
            b3 = v3.fma(y, b3);
        }
        storeBlock(a0, a1, a2, a3, out, o0, left);
        storeBlock(b0, b1, b2, b3, out, o1, left);
    }

    /** The same for one query vector. */
    private void addValues(int at, int count, float[] weights, int w0, float[] out, int o0, int left) {
        FloatVector a0 = load(out, o0, left), a1 = load(out, o0 + LANES, left - LANES);
        FloatVector a2 = load(out, o0 + 2 * LANES, left - 2 * LANES), a3 = load(out, o0 + 3 * LANES, left - 3 * LANES);
        for (int e = 0; e < count; e++, at += kvDim) {
            FloatVector x = FloatVector.broadcast(F, weights[w0 + e]);
            a0 = valueVector(at).fma(x, a0);
            a1 = valueVector(at + LANES).fma(x, a1);
            a2 = valueVector(at + 2 * LANES).fma(x, a2);
            a3 = valueVector(at + 3 * LANES).fma(x, a3);
        }
        storeBlock(a0, a1, a2, a3, out, o0, left);
    }

    /** The {@code left} (≤ 0: none) live floats from {@code at} as a vector, zero beyond. */
    private static FloatVector load(float[] a, int at, int left) {
        return left >= LANES ? FloatVector.fromArray(F, a, at)
                : left <= 0 ? FloatVector.zero(F) : FloatVector.fromArray(F, a, at, F.indexInRange(0, left));
    }

    /** Stores the first {@code left} lanes of four consecutive vectors (a block) from {@code at}. */
    private static void storeBlock(FloatVector v0, FloatVector v1, FloatVector v2, FloatVector v3, float[] a, int at, int left) {
        store(v0, a, at, left);
        store(v1, a, at + LANES, left - LANES);
        store(v2, a, at + 2 * LANES, left - 2 * LANES);
        store(v3, a, at + 3 * LANES, left - 3 * LANES);
    }

    private static void store(FloatVector v, float[] a, int at, int left) {
        if (left >= LANES) {
            v.intoArray(a, at);
        } else if (left > 0) {
            v.intoArray(a, at, F.indexInRange(0, left));
        }
    }

    /** The key stored at {@code at} (an index {@link #keyRow} + entry). */
    abstract float key(int at);

    /** {@code LANES} keys of consecutive entries from {@code at}. */
    abstract FloatVector keyVector(int at);

    /** The value stored at {@code at} (an index {@link #index} + dimension). */
    abstract float value(int at);

    /** {@code LANES} value dimensions from {@code at}. */
    abstract FloatVector valueVector(int at);

    /** A deep copy: keys, values and beam history (reference implementations fork sequences with it). */
    public final KvCache copy() {
        KvCache c = create(type(), layers, shape, kvDim);
        copyDataTo(c);
        System.arraycopy(history, 0, c.history, 0, history.length);
        for (int b = 0; b < lineage.length; b++) {
            System.arraycopy(lineage[b], 0, c.lineage[b], 0, lineage[b].length);
        }
        c.nextBeamPosition = nextBeamPosition;
        return c;
    }

    abstract void copyDataTo(KvCache target);

    private void checkEntry(int entry) {
        if (entry < 0 || entry >= entries) {
            throw new IndexOutOfBoundsException("entry " + entry + " outside the KV cache of " + entries + " entries");
        }
    }

    /** Where entry {@code entry}'s values start in the value array. */
    protected final int index(int layer, int entry) {
        checkEntry(entry);
        return (layer * entries + entry) * kvDim;
    }

    /** Where the transposed key row of {@code layer} and dimension {@code dim} (of all heads) starts: entry 0's key. */
    protected final int keyRow(int layer, int dim) {
        return (layer * kvDim + dim) * entries;
    }

    static final class F32 extends KvCache {
        /** Transposed: {@code keys[keyRow(layer, d) + entry]}. */
        private final float[] keys;
        private final float[] values;

        F32(int layers, KvShape shape, int kvDim) {
            super(layers, shape, kvDim);
            keys = new float[Math.addExact(Math.multiplyExact(layers * entries, kvDim), BLOCK)]; // + a block read past the end
            values = new float[keys.length];
        }

        @Override
        public KvCacheType type() {
            return KvCacheType.F32;
        }

        @Override
        public void store(int layer, int entry, float[] k, int kOff, float[] v, int vOff) {
            int at = index(layer, entry);
            for (int d = 0; d < kvDim; d++) {
                keys[keyRow(layer, d) + entry] = k[kOff + d];
            }
            System.arraycopy(v, vOff, values, at, kvDim);
        }

        @Override
        float key(int at) {
            return keys[at];
        }

        @Override
        FloatVector keyVector(int at) {
            return FloatVector.fromArray(F, keys, at);
        }

        @Override
        float value(int at) {
            return values[at];
        }

        @Override
        FloatVector valueVector(int at) {
            return FloatVector.fromArray(F, values, at);
        }

        @Override
        void copyDataTo(KvCache target) {
            F32 t = (F32) target;
            System.arraycopy(keys, 0, t.keys, 0, keys.length);
            System.arraycopy(values, 0, t.values, 0, values.length);
        }
    }

    /** bfloat16 storage: the upper half of each float, widened and shifted back on reading. */
    static final class BF16 extends KvCache {
        /** Transposed: {@code keys[keyRow(layer, d) + entry]}. */
        private final short[] keys;
        private final short[] values;

        BF16(int layers, KvShape shape, int kvDim) {
            super(layers, shape, kvDim);
            keys = new short[Math.addExact(Math.multiplyExact(layers * entries, kvDim), BLOCK)]; // + a block read past the end
            values = new short[keys.length];
        }

        @Override
        public KvCacheType type() {
            return KvCacheType.BF16;
        }

        @Override
        public void store(int layer, int entry, float[] k, int kOff, float[] v, int vOff) {
            int at = index(layer, entry);
            for (int d = 0; d < kvDim; d++) {
                keys[keyRow(layer, d) + entry] = Bf16.fromFloat(k[kOff + d]);
                values[at + d] = Bf16.fromFloat(v[vOff + d]);
            }
        }

        private static FloatVector widen(ShortVector v) {
            return ((IntVector) v.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
        }

        @Override
        float key(int at) {
            return Bf16.toFloat(keys[at]);
        }

        @Override
        FloatVector keyVector(int at) {
            return widen(ShortVector.fromArray(S, keys, at));
        }

        @Override
        float value(int at) {
            return Bf16.toFloat(values[at]);
        }

        @Override
        FloatVector valueVector(int at) {
            return widen(ShortVector.fromArray(S, values, at));
        }

        @Override
        void copyDataTo(KvCache target) {
            BF16 t = (BF16) target;
            System.arraycopy(keys, 0, t.keys, 0, keys.length);
            System.arraycopy(values, 0, t.values, 0, values.length);
        }
    }
}
