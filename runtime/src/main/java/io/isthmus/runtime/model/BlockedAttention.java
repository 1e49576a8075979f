package io.isthmus.runtime.model;

import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.VectorSettings;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Attention of several query rows that read the same keys, as blocked matrix products, where the
 * row-by-row path takes one dot product and one axpy per (row, head, position). Two cases have
 * such rows: a prompt chunk ({@link #attendChunk}: consecutive positions of one sequence, each row
 * seeing the positions up to its own) and a beam-search step ({@link #attendBeams}: the beams of a
 * group all read the prompt's shared entries, then each its own few).
 *
 * <p>A task copies one KV head's keys out of the cache once, transposed, and its values, so both
 * products vectorize without horizontal sums: the scores of {@value #QUERY_TILE} query rows against
 * two vectors of positions accumulate in registers over the head dimension (each key vector loaded
 * once for all rows of the tile), then a softmax per row, then the weighted values of
 * {@value #QUERY_TILE} rows × {@value #VALUE_VECTORS} vectors of the head dimension, accumulated over
 * positions. Needs the head dimension to be a multiple of {@value #VALUE_VECTORS} vectors; other
 * shapes take the row-by-row path.
 */
final class BlockedAttention {
    /** Prompt chunks of fewer rows take the row-by-row path (the copies would not pay). */
    static final int MIN_CHUNK_ROWS = 8;
    private static final int QUERY_TILE = 4;
    private static final int VALUE_VECTORS = 4;
    private static final VectorSpecies<Float> F = VectorSettings.F;
    private static final int L = VectorSettings.LANES;

    /** Per pool worker: a KV head's transposed keys, its values, a tile's scores and row offsets; grown on demand. */
    private static final class Workspace {
        float[] keysT = new float[0];
        float[] values = new float[0];
        float[] scores = new float[0];
        /** Where each row of a tile starts in q (and in out, which is laid out alike). */
        final int[] queryAt = new int[QUERY_TILE];
        final int[] beamOf = new int[QUERY_TILE];

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

        /** Copies positions [0, count) of one KV head: keys transposed with the padding zeroed, values as rows. */
        void load(KvCache cache, int layer, int kvOff, int hd, int count, int keyStride) {
            cache.copyKeysTransposed(layer, kvOff, hd, 0, count, keysT, keyStride);
            for (int d = 0; d < hd; d++) { // the padding scores 0 and is never read back
                Arrays.fill(keysT, d * keyStride + count, (d + 1) * keyStride, 0f);
            }
            cache.copyValues(layer, kvOff, hd, 0, count, values);
        }
    }

    private final int headDim;
    private final int qDim;
    private final int heads;
    private final int kvHeads;
    /** headsOf[j]: the query heads reading KV head j (grouped-query attention), in this rank's numbering. */
    private final int[][] headsOf;
    /** kvOffsetOf[h]: where query head h's KV head starts in a cache entry. */
    private final int[] kvOffsetOf;
    private final float scale;
    private final Workspace[] workspaces;

    /**
     * @param kvHeadOf the KV head each query head reads, in this rank's numbering
     * @param workers  the compute pool's size
     */
    BlockedAttention(int headDim, int[] kvHeadOf, int workers) {
        if (!supports(headDim)) {
            throw new IllegalArgumentException("head dimension " + headDim + " is not a multiple of "
                    + VALUE_VECTORS * L);
        }
        this.headDim = headDim;
        this.heads = kvHeadOf.length;
        this.qDim = heads * headDim;
        this.kvHeads = Arrays.stream(kvHeadOf).max().orElse(-1) + 1;
        this.headsOf = new int[kvHeads][];
        for (int j = 0; j < kvHeads; j++) {
            int kv = j;
            headsOf[j] = java.util.stream.IntStream.range(0, heads).filter(h -> kvHeadOf[h] == kv).toArray();
        }
        this.kvOffsetOf = Arrays.stream(kvHeadOf).map(j -> j * headDim).toArray();
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
     * A prompt chunk: {@code out} (m rows of qDim) = attention of the queries {@code q} (m rows of
     * qDim, row i at position start + i) over the entries 0 .. start + i of {@code cache}'s layer
     * {@code layer}, which already hold these rows' keys and values.
     */
    void attendChunk(ComputePool pool, KvCache cache, int layer, float[] q, float[] out, int m, int start) {
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
                    chunkRows(ws, cache, layer, h, q, out, r0, r1, start);
                }
            }
        });
    }

    /** Rows [r0, r1) of head h of a prompt chunk. */
    private void chunkRows(Workspace ws, KvCache cache, int layer, int h, float[] q, float[] out, int r0, int r1, int start) {
        int hd = headDim;
        int positions = start + r1;
        int stride = padded(positions);
        ws.ensure(hd * stride, positions * hd, QUERY_TILE * stride);
        ws.load(cache, layer, kvOffsetOf[h], hd, positions, stride);
        float[] scores = ws.scores;
        for (int r = r0; r < r1; r += QUERY_TILE) {
            int rows = Math.min(QUERY_TILE, r1 - r);
            int count = start + r + rows; // positions the tile's last row sees
            for (int i = 0; i < QUERY_TILE; i++) { // a short tile repeats its last row
                ws.queryAt[i] = (r + Math.min(i, rows - 1)) * qDim + h * hd;
            }
            scores(q, ws.queryAt, ws.keysT, stride, count, scores, stride);
            for (int i = 0; i < rows; i++) {
                int seen = start + r + i + 1;
                softmax(scores, i * stride, seen);
                Arrays.fill(scores, i * stride + seen, i * stride + count, 0f);
            }
            weightedValues(scores, stride, ws.values, count, out, ws.queryAt, rows);
        }
    }

    /**
     * Beam-search groups of a batched step: group g's beams are rows {@code first[g] ..
     * first[g] + beams - 1} (beam b at first[g] + b), all at the same position of one beam-search
     * cache, whose entries for that position are already stored. {@code out} row i = attention of
     * q row i over its beam's sequence: the shared prompt entries, blocked across the beams, then
     * the beam's own entries through its lineage.
     */
    void attendBeams(ComputePool pool, int layer, int[] first, int groups, KvCache[] rowCache, int[] rowPos,
                     float[] q, float[] out) {
        pool.parallelFor(groups * kvHeads, (from, to, worker) -> {
            Workspace ws = workspaces[worker];
            for (int t = from; t < to; t++) {
                int g = t / kvHeads;
                beamGroup(ws, layer, t % kvHeads, first[g], rowCache[first[g]], rowPos[first[g]], q, out);
            }
        });
    }

    /** KV head j of one beam group. */
    private void beamGroup(Workspace ws, int layer, int j, int firstRow, KvCache cache, int pos, float[] q, float[] out) {
        int hd = headDim;
        int kvOff = j * hd;
        int shared = cache.sharedPositions();
        int own = pos - shared + 1;
        int keyStride = padded(shared);
        int stride = padded(shared + own);
        ws.ensure(0, 0, QUERY_TILE * stride);
        float[] keysT = cache.sharedKeysTransposed(layer, kvOff, hd, keyStride);
        float[] values = cache.sharedValues(layer, kvOff, hd);
        float[] scores = ws.scores;
        int[] group = headsOf[j];
        int pairs = cache.beams() * group.length; // (beam, query head) rows reading this KV head
        for (int p0 = 0; p0 < pairs; p0 += QUERY_TILE) {
            int rows = Math.min(QUERY_TILE, pairs - p0);
            for (int i = 0; i < QUERY_TILE; i++) { // a short tile repeats its last row
                int pair = p0 + Math.min(i, rows - 1);
                int beam = pair / group.length;
                ws.beamOf[i] = beam;
                ws.queryAt[i] = (firstRow + beam) * qDim + group[pair % group.length] * hd;
            }
            scores(q, ws.queryAt, keysT, keyStride, shared, scores, stride);
            for (int i = 0; i < rows; i++) {
                int[] lineage = cache.lineage(ws.beamOf[i]);
                for (int e = 0; e < own; e++) { // the beam's own positions follow the shared ones
                    scores[i * stride + shared + e] = cache.dotKey(layer, lineage[e], kvOff, q, ws.queryAt[i], hd);
                }
                softmax(scores, i * stride, shared + own);
            }
            weightedValues(scores, stride, values, shared, out, ws.queryAt, rows);
            for (int i = 0; i < rows; i++) {
                int[] lineage = cache.lineage(ws.beamOf[i]);
                for (int e = 0; e < own; e++) {
                    cache.addScaledValue(layer, lineage[e], kvOff, scores[i * stride + shared + e], out, ws.queryAt[i], hd);
                }
            }
        }
    }

    /** {@code n} rounded up to the kernels' step along positions. */
    private static int padded(int n) {
        return Math.ceilDiv(n, 2 * L) * 2 * L;
    }

    /**
     * scores[i · stride + p] = q_i · key_p for the tile's 4 query rows (q from {@code queryAt[i]})
     * and positions p < count, rounded up to the step; keys transposed with row stride {@code keyStride}.
     */
    private void scores(float[] q, int[] queryAt, float[] keysT, int keyStride, int count, float[] scores, int stride) {
        int hd = headDim;
        int q0 = queryAt[0], q1 = queryAt[1], q2 = queryAt[2], q3 = queryAt[3];
        for (int p = 0; p < count; p += 2 * L) {
            FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00;
            FloatVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
            for (int d = 0, k = p; d < hd; d++, k += keyStride) {
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
     * out[outAt[i] + d] = Σ_p scores[i · stride + p] · values[p · hd + d] for the tile's first
     * {@code rows} rows and p < count.
     */
    private void weightedValues(float[] scores, int stride, float[] values, int count, float[] out, int[] outAt, int rows) {
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
            store(out, outAt[0] + d0, a00, a01, a02, a03);
            if (rows > 1) {
                store(out, outAt[1] + d0, a10, a11, a12, a13);
            }
            if (rows > 2) {
                store(out, outAt[2] + d0, a20, a21, a22, a23);
            }
            if (rows > 3) {
                store(out, outAt[3] + d0, a30, a31, a32, a33);
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
