package io.isthmus.runtime.model;

import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.Ops;

import java.util.Arrays;

/**
 * Attention of several query rows that read the same keys, where the row-by-row path would read a
 * KV head's entries once per row. Two cases have such rows: a prompt chunk ({@link #attendChunk}:
 * consecutive positions of one sequence, each row seeing the positions up to its own) and a
 * beam-search step ({@link #attendBeams}: the beams of a group all read the prompt's shared
 * entries and the block of their own entries that follows, each masking the entries of the others).
 *
 * <p>A task takes one KV head and a tile of up to {@value #QUERY_TILE} query rows, scores them
 * against the entries with {@link KvCache#scoreKeys} (the keys are stored transposed, so that is
 * vector FMAs along the entries, each key vector loaded once for a pair of rows), takes a softmax
 * per row and adds the weighted values with {@link KvCache#addWeightedValues}; nothing is copied
 * out of the cache. Decode of single sequences uses the same two kernels, so a prompt compiles them
 * before the first generated token.
 */
final class BlockedAttention {
    /** Prompt chunks of fewer rows take the row-by-row path. */
    static final int MIN_CHUNK_ROWS = 8;
    private static final int QUERY_TILE = 4;

    /** Per pool worker: a tile's scores and where its rows start in q (and in out, laid out alike); grown on demand. */
    private static final class Workspace {
        float[] scores = new float[0];
        final int[] queryAt = new int[QUERY_TILE];
        final int[] beamOf = new int[QUERY_TILE];

        float[] kept = new float[0];

        float[] scores(int floats) {
            if (scores.length < floats) {
                scores = new float[floats];
            }
            return scores;
        }

        /** Room for one row's scores of a beam's own entries, kept while the rest are masked. */
        float[] kept(int floats) {
            if (kept.length < floats) {
                kept = new float[floats];
            }
            return kept;
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
        int stride = start + r1; // the most positions a row of this range sees
        float[] scores = ws.scores(QUERY_TILE * stride);
        for (int r = r0; r < r1; r += QUERY_TILE) {
            int rows = Math.min(QUERY_TILE, r1 - r);
            int count = start + r + rows; // positions the tile's last row sees
            for (int i = 0; i < rows; i++) {
                ws.queryAt[i] = (r + i) * qDim + h * hd;
            }
            cache.scoreKeys(layer, kvOffsetOf[h], hd, q, ws.queryAt, rows, 0, count, scale, scores, stride);
            for (int i = 0; i < rows; i++) {
                int seen = start + r + i + 1;
                Ops.softmax(scores, i * stride, seen);
                Arrays.fill(scores, i * stride + seen, i * stride + count, 0f); // causal: later positions weigh nothing
                Arrays.fill(out, ws.queryAt[i], ws.queryAt[i] + hd, 0f);
            }
            cache.addWeightedValues(layer, kvOffsetOf[h], hd, scores, stride, ws.queryAt, rows, 0, count, out);
        }
    }

    /**
     * Beam-search groups of a batched step: group g's beams are rows {@code first[g] ..
     * first[g] + beams - 1} (beam b at first[g] + b), all at the same position of one beam-search
     * cache, whose entries for that position are already stored. {@code out} row i = attention of
     * q row i over its beam's sequence: the shared prompt entries and the beam's own entries
     * (through its lineage), blocked across the beams.
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

    /**
     * KV head j of one beam group. The beams' own entries (position shared + k of beam b at entry
     * shared + k·beams + b) follow the shared ones, so a row scores the whole block [0, shared +
     * own·beams) with the vector kernels and then masks the entries that are not in its lineage:
     * {@code beams - 1} of every {@code beams} own entries are scored for nothing, which costs less
     * than one strided scalar dot product per lineage entry did (a dependent chain of adds over
     * the head dimension, 8 rows per KV head, 6 layers: ~0.1 ms of a prose-llama step at 32 tokens).
     */
    private void beamGroup(Workspace ws, int layer, int j, int firstRow, KvCache cache, int pos, float[] q, float[] out) {
        int hd = headDim;
        int kvOff = j * hd;
        int beams = cache.beams();
        int shared = cache.sharedPositions();
        int own = pos - shared + 1;
        int stride = shared + own * beams; // every entry of the block, a row's scores apart
        float[] scores = ws.scores(QUERY_TILE * stride);
        float[] kept = ws.kept(own);
        int[] group = headsOf[j];
        int pairs = beams * group.length; // (beam, query head) rows reading this KV head
        for (int p0 = 0; p0 < pairs; p0 += QUERY_TILE) {
            int rows = Math.min(QUERY_TILE, pairs - p0);
            for (int i = 0; i < rows; i++) {
                int beam = (p0 + i) / group.length;
                ws.beamOf[i] = beam;
                ws.queryAt[i] = (firstRow + beam) * qDim + group[(p0 + i) % group.length] * hd;
            }
            cache.scoreKeys(layer, kvOff, hd, q, ws.queryAt, rows, 0, stride, scale, scores, stride);
            for (int i = 0; i < rows; i++) {
                int[] lineage = cache.lineage(ws.beamOf[i]);
                int row = i * stride;
                for (int e = 0; e < own; e++) {
                    kept[e] = scores[row + lineage[e]];
                }
                Arrays.fill(scores, row + shared, row + stride, Float.NEGATIVE_INFINITY); // weighs nothing after the softmax
                for (int e = 0; e < own; e++) {
                    scores[row + lineage[e]] = kept[e];
                }
                Ops.softmax(scores, row, stride);
                Arrays.fill(out, ws.queryAt[i], ws.queryAt[i] + hd, 0f);
            }
            cache.addWeightedValues(layer, kvOff, hd, scores, stride, ws.queryAt, rows, 0, stride, out);
        }
    }
}
