package io.isthmus.runtime.model;

import io.isthmus.collectives.Bf16;
import io.isthmus.runtime.kernel.Ops;

import java.util.Arrays;

/**
 * Keys and values of one sequence for every layer: {@code kvDim} floats per entry (all KV heads of
 * this rank side by side). Attention reads it through {@link #dotKey} and {@link #addScaledValue},
 * so the element type stays a detail of the cache.
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
    /**
     * Per layer and head, the shared positions' keys transposed and their values, as beam steps read
     * them ({@link #sharedKeysTransposed}); built on first use, dropped when a shared entry is stored.
     */
    private final float[][] sharedKeysT;
    private final float[][] sharedValues;
    private volatile boolean sharedBlocksBuilt;

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
        int blocks = shape.beams() == 1 ? 0 : layers * kvDim; // at most one per layer and head offset
        this.sharedKeysT = new float[blocks][];
        this.sharedValues = new float[blocks][];
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
    public final void store(int layer, int entry, float[] k, int kOff, float[] v, int vOff) {
        if (sharedBlocksBuilt && entry < shape.sharedPositions()) {
            Arrays.fill(sharedKeysT, null);
            Arrays.fill(sharedValues, null);
            sharedBlocksBuilt = false;
        }
        write(layer, entry, k, kOff, v, vOff);
    }

    abstract void write(int layer, int entry, float[] k, int kOff, float[] v, int vOff);

    /**
     * The keys of one head ({@code len} values from {@code headOff}) at the shared positions,
     * transposed with row stride {@code stride} ≥ {@link #sharedPositions()} and the padding zero:
     * what every step of a beam search reads again, so it is copied out once per prompt. Two threads
     * must not ask for the same layer and head at once (a beam step gives each head of a cache to one
     * task).
     */
    final float[] sharedKeysTransposed(int layer, int headOff, int len, int stride) {
        int i = layer * kvDim + headOff;
        float[] block = sharedKeysT[i];
        if (block == null || block.length != len * stride) {
            block = new float[len * stride];
            copyKeysTransposed(layer, headOff, len, 0, shape.sharedPositions(), block, stride);
            sharedKeysT[i] = block;
            sharedBlocksBuilt = true;
        }
        return block;
    }

    /** The values of one head at the shared positions, row after row ({@code len} floats each); copied once per prompt. */
    final float[] sharedValues(int layer, int headOff, int len) {
        int i = layer * kvDim + headOff;
        float[] block = sharedValues[i];
        if (block == null) {
            block = new float[shape.sharedPositions() * len];
            copyValues(layer, headOff, len, 0, shape.sharedPositions(), block);
            sharedValues[i] = block;
            sharedBlocksBuilt = true;
        }
        return block;
    }

    /** Σ q[qOff + i] · key[layer][entry][headOff + i] for i < len. */
    public abstract float dotKey(int layer, int entry, int headOff, float[] q, int qOff, int len);

    /** out[outOff + i] += w · value[layer][entry][headOff + i] for i < len. */
    public abstract void addScaledValue(int layer, int entry, int headOff, float w, float[] out, int outOff, int len);

    /**
     * The keys of one head at entries {@code [from, to)}, transposed: {@code out[d * stride + e] =
     * key[layer][e][headOff + d]} for d < len (prefill attention reads keys along positions).
     */
    public abstract void copyKeysTransposed(int layer, int headOff, int len, int from, int to, float[] out, int stride);

    /** The values of one head at entries {@code [from, to)}: {@code out[e * len + d] = value[layer][e][headOff + d]}. */
    public abstract void copyValues(int layer, int headOff, int len, int from, int to, float[] out);

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

    protected final int index(int layer, int entry) {
        if (entry < 0 || entry >= entries) {
            throw new IndexOutOfBoundsException("entry " + entry + " outside the KV cache of " + entries + " entries");
        }
        return (layer * entries + entry) * kvDim;
    }

    static final class F32 extends KvCache {
        private final float[] keys;
        private final float[] values;

        F32(int layers, KvShape shape, int kvDim) {
            super(layers, shape, kvDim);
            keys = new float[Math.multiplyExact(layers * entries, kvDim)];
            values = new float[keys.length];
        }

        @Override
        public KvCacheType type() {
            return KvCacheType.F32;
        }

        @Override
        void write(int layer, int entry, float[] k, int kOff, float[] v, int vOff) {
            int at = index(layer, entry);
            System.arraycopy(k, kOff, keys, at, kvDim);
            System.arraycopy(v, vOff, values, at, kvDim);
        }

        @Override
        public float dotKey(int layer, int entry, int headOff, float[] q, int qOff, int len) {
            return Ops.dot(q, qOff, keys, index(layer, entry) + headOff, len);
        }

        @Override
        public void addScaledValue(int layer, int entry, int headOff, float w, float[] out, int outOff, int len) {
            Ops.axpy(out, outOff, w, values, index(layer, entry) + headOff, len);
        }

        @Override
        public void copyKeysTransposed(int layer, int headOff, int len, int from, int to, float[] out, int stride) {
            for (int e = from; e < to; e++) {
                int at = index(layer, e) + headOff;
                for (int d = 0; d < len; d++) {
                    out[d * stride + e] = keys[at + d];
                }
            }
        }

        @Override
        public void copyValues(int layer, int headOff, int len, int from, int to, float[] out) {
            for (int e = from; e < to; e++) {
                System.arraycopy(values, index(layer, e) + headOff, out, e * len, len);
            }
        }

        @Override
        void copyDataTo(KvCache target) {
            F32 t = (F32) target;
            System.arraycopy(keys, 0, t.keys, 0, keys.length);
            System.arraycopy(values, 0, t.values, 0, values.length);
        }
    }

    static final class BF16 extends KvCache {
        private final short[] keys;
        private final short[] values;

        BF16(int layers, KvShape shape, int kvDim) {
            super(layers, shape, kvDim);
            keys = new short[Math.multiplyExact(layers * entries, kvDim)];
            values = new short[keys.length];
        }

        @Override
        public KvCacheType type() {
            return KvCacheType.BF16;
        }

        @Override
        void write(int layer, int entry, float[] k, int kOff, float[] v, int vOff) {
            int at = index(layer, entry);
            for (int i = 0; i < kvDim; i++) {
                keys[at + i] = Bf16.fromFloat(k[kOff + i]);
                values[at + i] = Bf16.fromFloat(v[vOff + i]);
            }
        }

        @Override
        public float dotKey(int layer, int entry, int headOff, float[] q, int qOff, int len) {
            int at = index(layer, entry) + headOff;
            float s = 0;
            for (int i = 0; i < len; i++) {
                s += q[qOff + i] * Bf16.toFloat(keys[at + i]);
            }
            return s;
        }

        @Override
        public void addScaledValue(int layer, int entry, int headOff, float w, float[] out, int outOff, int len) {
            int at = index(layer, entry) + headOff;
            for (int i = 0; i < len; i++) {
                out[outOff + i] += w * Bf16.toFloat(values[at + i]);
            }
        }

        @Override
        public void copyKeysTransposed(int layer, int headOff, int len, int from, int to, float[] out, int stride) {
            for (int e = from; e < to; e++) {
                int at = index(layer, e) + headOff;
                for (int d = 0; d < len; d++) {
                    out[d * stride + e] = Bf16.toFloat(keys[at + d]);
                }
            }
        }

        @Override
        public void copyValues(int layer, int headOff, int len, int from, int to, float[] out) {
            for (int e = from; e < to; e++) {
                int at = index(layer, e) + headOff;
                for (int d = 0; d < len; d++) {
                    out[e * len + d] = Bf16.toFloat(values[at + d]);
                }
            }
        }

        @Override
        void copyDataTo(KvCache target) {
            BF16 t = (BF16) target;
            System.arraycopy(keys, 0, t.keys, 0, keys.length);
            System.arraycopy(values, 0, t.values, 0, values.length);
        }
    }
}
