package io.isthmus.runtime.model;

import io.isthmus.collectives.Bf16;
import io.isthmus.runtime.kernel.Ops;

/**
 * Keys and values of one sequence for every layer, {@code capacity} positions of {@code kvDim}
 * floats each (all KV heads of this rank side by side). Attention reads it through
 * {@link #dotKey} and {@link #addScaledValue}, so the element type stays a detail of the cache.
 */
public abstract sealed class KvCache permits KvCache.F32, KvCache.BF16 {
    protected final int layers;
    protected final int capacity;
    protected final int kvDim;

    KvCache(int layers, int capacity, int kvDim) {
        this.layers = layers;
        this.capacity = capacity;
        this.kvDim = kvDim;
    }

    public static KvCache create(KvCacheType type, int layers, int capacity, int kvDim) {
        return switch (type) {
            case F32 -> new F32(layers, capacity, kvDim);
            case BF16 -> new BF16(layers, capacity, kvDim);
        };
    }

    /** Positions this cache can hold. */
    public int capacity() {
        return capacity;
    }

    /** Stores the key and value vectors ({@code kvDim} floats each) of {@code layer} at {@code pos}. */
    public abstract void store(int layer, int pos, float[] k, int kOff, float[] v, int vOff);

    /** Σ q[qOff + i] · key[layer][pos][headOff + i] for i < len. */
    public abstract float dotKey(int layer, int pos, int headOff, float[] q, int qOff, int len);

    /** out[outOff + i] += w · value[layer][pos][headOff + i] for i < len. */
    public abstract void addScaledValue(int layer, int pos, int headOff, float w, float[] out, int outOff, int len);

    protected final int index(int layer, int pos) {
        if (pos < 0 || pos >= capacity) {
            throw new IndexOutOfBoundsException("position " + pos + " outside the KV cache of " + capacity + " tokens");
        }
        return (layer * capacity + pos) * kvDim;
    }

    static final class F32 extends KvCache {
        private final float[] keys;
        private final float[] values;

        F32(int layers, int capacity, int kvDim) {
            super(layers, capacity, kvDim);
            keys = new float[Math.multiplyExact(layers * capacity, kvDim)];
            values = new float[keys.length];
        }

        @Override
        public void store(int layer, int pos, float[] k, int kOff, float[] v, int vOff) {
            int at = index(layer, pos);
            System.arraycopy(k, kOff, keys, at, kvDim);
            System.arraycopy(v, vOff, values, at, kvDim);
        }

        @Override
        public float dotKey(int layer, int pos, int headOff, float[] q, int qOff, int len) {
            return Ops.dot(q, qOff, keys, index(layer, pos) + headOff, len);
        }

        @Override
        public void addScaledValue(int layer, int pos, int headOff, float w, float[] out, int outOff, int len) {
            Ops.axpy(out, outOff, w, values, index(layer, pos) + headOff, len);
        }
    }

    static final class BF16 extends KvCache {
        private final short[] keys;
        private final short[] values;

        BF16(int layers, int capacity, int kvDim) {
            super(layers, capacity, kvDim);
            keys = new short[Math.multiplyExact(layers * capacity, kvDim)];
            values = new short[keys.length];
        }

        @Override
        public void store(int layer, int pos, float[] k, int kOff, float[] v, int vOff) {
            int at = index(layer, pos);
            for (int i = 0; i < kvDim; i++) {
                keys[at + i] = Bf16.fromFloat(k[kOff + i]);
                values[at + i] = Bf16.fromFloat(v[vOff + i]);
            }
        }

        @Override
        public float dotKey(int layer, int pos, int headOff, float[] q, int qOff, int len) {
            int at = index(layer, pos) + headOff;
            float s = 0;
            for (int i = 0; i < len; i++) {
                s += q[qOff + i] * Bf16.toFloat(keys[at + i]);
            }
            return s;
        }

        @Override
        public void addScaledValue(int layer, int pos, int headOff, float w, float[] out, int outOff, int len) {
            int at = index(layer, pos) + headOff;
            for (int i = 0; i < len; i++) {
                out[outOff + i] += w * Bf16.toFloat(values[at + i]);
            }
        }
    }
}
