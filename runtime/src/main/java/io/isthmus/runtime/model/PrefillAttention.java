package io.isthmus.runtime.model;

import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.VectorSettings;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Causal attention of a prompt chunk — m rows of one sequence at positions {@code start ..
 * start + m - 1}, each attending to every position up to its own — as blocked matrix products per
 * head, where the row-by-row path takes one dot product and one axpy per (row, position).
 *
 * <p>A task takes one head and a range of rows. It copies that head's keys out of the cache once,
 * transposed, and its values, so both products vectorize without horizontal sums: the scores of
 * {@value #QUERY_TILE} rows against two vectors of positions accumulate in registers over the head
 * dimension (each key vector loaded once for all rows of the tile), then a softmax per row, then
 * the weighted values of {@value #QUERY_TILE} rows × {@value #VALUE_VECTORS} vectors of the head
 * dimension, accumulated over positions. Needs the head dimension to be a multiple of
 * {@link #VALUE_VECTORS} vectors; other shapes take the row-by-row path.
 */
final class PrefillAttention {
    /** Fewer rows than this take the row-by-row path (the copies would not pay). */
    static final int MIN_ROWS = 8;
    private static final int QUERY_TILE = 4;
    private static final int VALUE_VECTORS = 4;
    private static final VectorSpecies<Float> F = VectorSettings.F;
    private static final int L = VectorSettings.LANES;

    /** Per pool worker: the head's transposed keys, its values, and a tile's scores; grown on demand. */
    private static final class Workspace {
        float[] keysT = new float[0];
        float[] values = new float[0];
        float[] scores = new float[0];

        void ensure(int keyFloats, int valueFloats, int scoreFloats) {
            if (keysT.length < keyFloats) {
                keysT = new float[keyFloats];
            }
            if (values.length < valueFloats) {
                values = new float[valueFloats];
            }
            if (scores.length < scoreFloats) {
                scores = new float[scoreFloats];
            }
        }
    }

    private final int headDim;
    private final int qDim;
    /** kvOffsetOf[h]: where query head h's KV head starts in a cache entry. */
    private final int[] kvOffsetOf;
    private final float scale;
    private final Workspace[] workspaces;

    /**
     * @param kvHeadOf the KV head each query head reads (grouped-query attention), in this rank's numbering
     * @param workers  the compute pool's size
     */
    PrefillAttention(int headDim, int[] kvHeadOf, int workers) {
        if (!supports(headDim)) {
            throw new IllegalArgumentException("head dimension " + headDim + " is not a multiple of "
                    + VALUE_VECTORS * L);
        }
        this.headDim = headDim;
        this.qDim = kvHeadOf.length * headDim;
        this.kvOffsetOf = new int[kvHeadOf.length];
        for (int h = 0; h < kvHeadOf.length; h++) {
            kvOffsetOf[h] = kvHeadOf[h] * headDim;
        }
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.workspaces = new Workspace[workers];
        for (int w = 0; w < workers; w++) {
            workspaces[w] = new Workspace();
        }
    }

    static boolean supports(int headDim) {
        return headDim % (VALUE_VECTORS * L) == 0;
    }

    /**
     * {@code out} (m rows of qDim) = attention of the queries {@code q} (m rows of qDim, row i at
     * position start + i) over the entries 0 .. start + i of {@code cache}'s layer {@code layer},
     * which already hold these rows' keys and values.
     */
    void attend(ComputePool pool, KvCache cache, int layer, float[] q, float[] out, int m, int start) {
        int heads = kvOffsetOf.length;
        int tiles = Math.ceilDiv(m, QUERY_TILE);
        // more heads than workers: a task per head; otherwise each head's rows are split as well
        int splits = Math.max(1, Math.min(tiles, Math.ceilDiv(pool.size(), heads)));
        pool.parallelFor(heads * splits, (from, to, worker) -> {
            Workspace ws = workspaces[worker];
            for (int t = from; t < to; t++) {
                int h = t / splits;
                int part = t % splits;
                int r0 = tiles * part / splits * QUERY_TILE;
                int r1 = Math.min(m, tiles * (part + 1) / splits * QUERY_TILE);
                if (r0 < r1) {
                    headRows(ws, cache, layer, h, q, out, r0, r1, start);
                }
            }
        });
    }

    /** Rows [r0, r1) of head h. */
    private void headRows(Workspace ws, KvCache cache, int layer, int h, float[] q, float[] out, int r0, int r1, int start) {
        int hd = headDim;
        int positions = start + r1;
        int stride = Math.ceilDiv(positions, 2 * L) * 2 * L;
        ws.ensure(hd * stride, positions * hd, QUERY_TILE * stride);
        float[] keysT = ws.keysT;
        float[] scores = ws.scores;
        cache.copyKeysTransposed(layer, kvOffsetOf[h], hd, 0, positions, keysT, stride);
        for (int d = 0; d < hd; d++) { // the padding past the last position scores 0 and is never read back
            Arrays.fill(keysT, d * stride + positions, (d + 1) * stride, 0f);
        }
        cache.copyValues(layer, kvOffsetOf[h], hd, 0, positions, ws.values);
        int head = h * hd;
        for (int r = r0; r < r1; r += QUERY_TILE) {
            int rows = Math.min(QUERY_TILE, r1 - r);
            int count = start + r + rows; // positions the tile's last row sees
            int q0 = r * qDim + head;
            int qLast = (r + rows - 1) * qDim + head; // a short tile repeats its last row
            scores(q, q0, Math.min(q0 + qDim, qLast), Math.min(q0 + 2 * qDim, qLast), qLast,
                    keysT, stride, count, scores);
            for (int i = 0; i < rows; i++) {
                int seen = start + r + i + 1;
                softmax(scores, i * stride, seen);
                Arrays.fill(scores, i * stride + seen, i * stride + count, 0f);
            }
            weightedValues(scores, stride, ws.values, count, out, q0, rows);
        }
    }

    /** scores[i · stride + p] = q_i · key_p for the tile's 4 query rows (offsets) and positions p < count. */
    private void scores(float[] q, int q0, int q1, int q2, int q3, float[] keysT, int stride, int count, float[] scores) {
        int hd = headDim;
        for (int p = 0; p < count; p += 2 * L) {
            FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00;
            FloatVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
            for (int d = 0, k = p; d < hd; d++, k += stride) {
                FloatVector k0 = FloatVector.fromArray(F, keysT, k);
                FloatVector k1 = FloatVector.fromArray(F, keysT, k + L);
                FloatVector b = FloatVector.broadcast(F, q[q0 + d]);
                a00 = k0.fma(b, a00);
                a01 = k1.fma(b, a01);
                b = FloatVector.broadcast(F, q[q1 + d]);
                a10 = k0.fma(b, a10);
                a11 = k1.fma(b, a11);
                b = FloatVector.broadcast(F, q[q2 + d]);
                a20 = k0.fma(b, a20);
                a21 = k1.fma(b, a21);
                b = FloatVector.broadcast(F, q[q3 + d]);
                a30 = k0.fma(b, a30);
                a31 = k1.fma(b, a31);
            }
            a00.intoArray(scores, p);
            a01.intoArray(scores, p + L);
            a10.intoArray(scores, stride + p);
            a11.intoArray(scores, stride + p + L);
            a20.intoArray(scores, 2 * stride + p);
            a21.intoArray(scores, 2 * stride + p + L);
            a30.intoArray(scores, 3 * stride + p);
            a31.intoArray(scores, 3 * stride + p + L);
        }
    }

    /** In place: x[off + p] = softmax(scale · x)[p] over p < n. */
    private void softmax(float[] x, int off, int n) {
        FloatVector maxV = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int p = 0;
        for (; p + L <= n; p += L) {
            maxV = maxV.max(FloatVector.fromArray(F, x, off + p));
        }
        float max = maxV.reduceLanes(VectorOperators.MAX);
        for (; p < n; p++) {
            max = Math.max(max, x[off + p]);
        }
        FloatVector sumV = FloatVector.zero(F);
        p = 0;
        for (; p + L <= n; p += L) {
            FloatVector e = FloatVector.fromArray(F, x, off + p).sub(max).mul(scale).lanewise(VectorOperators.EXP);
            e.intoArray(x, off + p);
            sumV = sumV.add(e);
        }
        float sum = sumV.reduceLanes(VectorOperators.ADD);
        for (; p < n; p++) {
            float e = (float) Math.exp((x[off + p] - max) * scale);
            x[off + p] = e;
            sum += e;
        }
        float inv = 1f / sum;
        p = 0;
        for (; p + L <= n; p += L) {
            FloatVector.fromArray(F, x, off + p).mul(inv).intoArray(x, off + p);
        }
        for (; p < n; p++) {
            x[off + p] *= inv;
        }
    }

    /**
     * out[o0 + i · qDim + d] = Σ_p scores[i · stride + p] · values[p · hd + d] for the tile's first
     * {@code rows} rows, p < count (a row's weights are 0 past its own position).
     */
    private void weightedValues(float[] scores, int stride, float[] values, int count, float[] out, int o0, int rows) {
        int hd = headDim;
        for (int d0 = 0; d0 < hd; d0 += VALUE_VECTORS * L) {
            FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
            FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
            FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
            for (int p = 0, v = d0; p < count; p++, v += hd) {
                FloatVector v0 = FloatVector.fromArray(F, values, v);
                FloatVector v1 = FloatVector.fromArray(F, values, v + L);
                FloatVector v2 = FloatVector.fromArray(F, values, v + 2 * L);
                FloatVector v3 = FloatVector.fromArray(F, values, v + 3 * L);
                FloatVector w = FloatVector.broadcast(F, scores[p]);
                a00 = v0.fma(w, a00);
                a01 = v1.fma(w, a01);
                a02 = v2.fma(w, a02);
                a03 = v3.fma(w, a03);
                w = FloatVector.broadcast(F, scores[stride + p]);
                a10 = v0.fma(w, a10);
                a11 = v1.fma(w, a11);
                a12 = v2.fma(w, a12);
                a13 = v3.fma(w, a13);
                w = FloatVector.broadcast(F, scores[2 * stride + p]);
                a20 = v0.fma(w, a20);
                a21 = v1.fma(w, a21);
                a22 = v2.fma(w, a22);
                a23 = v3.fma(w, a23);
                w = FloatVector.broadcast(F, scores[3 * stride + p]);
                a30 = v0.fma(w, a30);
                a31 = v1.fma(w, a31);
                a32 = v2.fma(w, a32);
                a33 = v3.fma(w, a33);
            }
            store(out, o0 + d0, a00, a01, a02, a03);
            if (rows > 1) {
                store(out, o0 + qDim + d0, a10, a11, a12, a13);
            }
            if (rows > 2) {
                store(out, o0 + 2 * qDim + d0, a20, a21, a22, a23);
            }
            if (rows > 3) {
                store(out, o0 + 3 * qDim + d0, a30, a31, a32, a33);
            }
        }
    }

    private static void store(float[] out, int off, FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3) {
        a0.intoArray(out, off);
        a1.intoArray(out, off + L);
        a2.intoArray(out, off + 2 * L);
        a3.intoArray(out, off + 3 * L);
    }
}
