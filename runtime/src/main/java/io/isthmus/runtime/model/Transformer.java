package io.isthmus.runtime.model;

import io.isthmus.collectives.Communicator;
import io.isthmus.collectives.WireType;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.kernel.Ops;
import io.isthmus.runtime.kernel.Rope;
import io.isthmus.runtime.kernel.RopeTable;

/**
 * The forward pass of a decoder-only transformer (Llama family and GPT-NeoX), read top to bottom:
 * embedding, then per layer norm → attention → residual and norm → feed-forward → residual (or
 * the parallel-residual form), then the final norm and the output projection.
 *
 * <p>A call processes {@code m} rows at once, as matrix-matrix products: consecutive tokens of one
 * sequence ({@link #forward}: prefill runs the prompt so, decode is m = 1), or one token each of
 * several sequences or beams ({@link #forwardBatch}: batched decode). Every row has its KV cache,
 * position and cache entry; only attention tells rows apart. Not thread-safe: one forward pass at
 * a time.
 *
 * <p>Tensor parallelism (DESIGN.md §2): the same class runs one rank's part of the model, given that
 * rank's weights, its {@link LocalDims} and a {@link Communicator}. Row-parallel projections leave
 * partial sums that are all-reduced before they join the residual stream (once per block, or once
 * per layer with parallel residual); each rank's slice of the logits is all-gathered. Every rank
 * must call {@link #forward} with the same arguments. With one rank no collective is called.
 */
public final class Transformer implements ForwardPass {
    private static final int ROPE_TABLE_POSITIONS = 8192;
    /** Elementwise work below this many floats runs on the calling thread (decode); above, it is split over the pool. */
    private static final int ELEMENT_GRAIN = 16384;
    /** Prompt tokens per forward call when the matrix products go through oneDNN, whose efficiency grows with M. */
    private static final int ONEDNN_PREFILL_BATCH = 512;
    private final ModelConfig config;
    private final LocalDims local;
    private final Communicator comm;
    private final ComputePool pool;
    private final WeightMatrix tokenEmbedding;
    private final LayerWeights[] layers;
    private final Norm outputNorm;
    private final Projection output;
    private final Scratch scratch;
    /** cos/sin per position, for positions below its size (larger ones are computed when needed). */
    private final RopeTable ropeTable;
    /** Attention for prompt chunks and beam groups. */
    private final BlockedAttention blockedAttention;
    /** The first query head of each run of heads reading one KV head (grouped-query attention), then heads(). */
    private final int[] headRuns;
    private final int prefillBatch;
    /** Vocab-parallel logits: this rank's slice (padded to the stride) and every rank's, gathered. */
    private float[] logitSlice = new float[0], logitsGathered = new float[0];

    /** The whole model on one rank. */
    public Transformer(ModelWeights weights, ComputePool pool) {
        this(weights, LocalDims.whole(weights.config()), pool, Communicator.single());
    }

    /**
     * One rank's part of the model: {@code weights} holds that rank's tensors under the canonical
     * names, shaped as {@code local} says; {@code comm} joins the ranks.
     */
    public Transformer(ModelWeights weights, LocalDims local, ComputePool pool, Communicator comm) {
        this(weights, local, pool, comm, null);
    }

    /** The whole model on one rank, with {@code observer} seeing the input of every matrix product (calibration). */
    public Transformer(ModelWeights weights, ComputePool pool, InputObserver observer) {
        this(weights, LocalDims.whole(weights.config()), pool, Communicator.single(), observer);
    }

    private Transformer(ModelWeights weights, LocalDims local, ComputePool pool, Communicator comm,
                        InputObserver observer) {
        if (comm.worldSize() != local.worldSize() || comm.rank() != local.rank()) {
            throw new IllegalArgumentException("weights of rank " + local.rank() + " of " + local.worldSize()
                    + " with a communicator of rank " + comm.rank() + " of " + comm.worldSize());
        }
        this.config = weights.config();
        this.local = local;
        this.comm = comm;
        this.pool = pool;
        ModelConfig c = config;
        WeightBinder bind = new WeightBinder(weights, local, observer, pool);
        this.tokenEmbedding = bind.embedding();
        this.layers = new LayerWeights[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            layers[l] = bind.layer(l);
        }
        this.outputNorm = bind.norm("output_norm");
        this.output = bind.output();
        this.scratch = new Scratch(c, local, pool.size());
        this.ropeTable = new RopeTable(Math.min(c.contextLength(), ROPE_TABLE_POSITIONS), c.ropeDims(),
                c.ropeTheta(), c.ropeFreqScale());
        int[] kvHeadOf = new int[local.heads()];
        for (int h = 0; h < kvHeadOf.length; h++) {
            kvHeadOf[h] = local.kvHeadOf(h, c);
        }
        this.blockedAttention = new BlockedAttention(c.headDim(), kvHeadOf, pool.size());
        this.headRuns = java.util.stream.IntStream.rangeClosed(0, kvHeadOf.length)
                .filter(h -> h == 0 || h == kvHeadOf.length || kvHeadOf[h] != kvHeadOf[h - 1]).toArray();
        this.prefillBatch = bind.usesOneDnn() ? ONEDNN_PREFILL_BATCH : ForwardPass.super.prefillBatch();
    }

    /** Rows per chunk when work over rows of {@code width} floats is split over the pool. */
    static int rowGrain(int width) {
        return Math.max(1, ELEMENT_GRAIN / Math.max(1, width));
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    public ComputePool pool() {
        return pool;
    }

    public LocalDims local() {
        return local;
    }

    /** Bytes of weights one decode step reads on this rank (its matrices once; embedding rows not counted). */
    public long weightBytesPerToken() {
        long b = output.weightBytes();
        for (LayerWeights l : layers) {
            b += l.weightBytes();
        }
        return b;
    }

    @Override
    public int prefillBatch() {
        return prefillBatch;
    }

    @Override
    public KvCache newCache(KvCacheType type, KvShape shape) {
        return KvCache.create(type, config.layers(), shape, local.kvDim(config));
    }

    @Override
    public void forward(KvCache cache, int[] tokens, int off, int m, int startPos, float[] logits, boolean allLogits) {
        if (startPos + m > cache.sharedPositions()) {
            throw new IllegalArgumentException("positions up to " + (startPos + m) + " exceed the KV cache of "
                    + cache.sharedPositions() + (cache.beams() > 1 ? " shared (prompt) tokens" : " tokens"));
        }
        Scratch s = scratch.ensure(m);
        s.sequenceStart = startPos;
        for (int i = 0; i < m; i++) {
            int pos = startPos + i;
            s.rowCache[i] = cache;
            s.rowBeam[i] = 0;
            s.rowPos[i] = pos;
            s.rowEntry[i] = pos;
            embed(tokens[off + i], s, i);
        }
        run(m, s, logits, allLogits);
    }

    @Override
    public void forwardBatch(DecodeBatch batch, float[] logits) {
        checkBatch(batch, logits);
        int m = batch.size();
        Scratch s = scratch.ensure(m);
        s.sequenceStart = -1;
        for (int i = 0; i < m; i++) {
            KvCache cache = batch.cache(i);
            if (cache.beams() > 1 && batch.beam(i) == 0) {
                cache.advanceBeams(batch.position(i), batch.parents(), i); // once per beam group, before any entry is read
            }
        }
        for (int i = 0; i < m; i++) {
            KvCache cache = batch.cache(i);
            s.rowCache[i] = cache;
            s.rowBeam[i] = batch.beam(i);
            s.rowPos[i] = batch.position(i);
            s.rowEntry[i] = cache.entryOf(batch.beam(i), batch.position(i));
            embed(batch.token(i), s, i);
        }
        run(m, s, logits, true);
    }

    /**
     * Throws, naming the row, unless {@link #forwardBatch} can run {@code batch} into {@code logits}:
     * so a tensor-parallel driver can refuse a batch before its followers see it.
     */
    public void checkBatch(DecodeBatch batch, float[] logits) {
        int m = batch.size();
        if (m == 0) {
            throw new IllegalArgumentException("an empty batch");
        }
        batch.checkComplete();
        if (logits.length < (long) m * config.vocabSize()) {
            throw new IllegalArgumentException("logits of " + logits.length + " floats for " + m + " rows of "
                    + config.vocabSize());
        }
        for (int i = 0; i < m; i++) {
            KvCache cache = batch.cache(i);
            int pos = batch.position(i);
            if (pos < 0 || pos >= cache.capacity()) {
                throw new IllegalArgumentException("row " + i + ": position " + pos + " outside the KV cache of "
                        + cache.capacity() + " tokens");
            }
            if (cache.beams() > 1 && batch.beam(i) == 0 && pos != cache.nextBeamPosition()) {
                throw new IllegalArgumentException("row " + i + ": beam step at position " + pos + ", expected "
                        + cache.nextBeamPosition() + (pos < cache.sharedPositions()
                        ? " (the shared prompt runs through forward())" : ""));
            }
            checkToken(batch.token(i));
        }
    }

    private void embed(int id, Scratch s, int row) {
        checkToken(id);
        tokenEmbedding.dequantizeRow(id, s.x, row * config.dim());
    }

    private void checkToken(int id) {
        if (id < 0 || id >= tokenEmbedding.rows()) {
            throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + tokenEmbedding.rows());
        }
    }

    /** The layers and the output over the m rows of s (embedded, with their caches and positions). */
    private void run(int m, Scratch s, float[] logits, boolean allLogits) {
        ModelConfig c = config;
        int dim = c.dim();
        for (int l = 0; l < layers.length; l++) {
            if (c.parallelResidual()) {
                parallelResidualBlock(l, m, s);
            } else {
                sequentialBlock(l, m, s);
            }
        }
        s.clearRows(m); // the rows' caches are not kept past the call
        int rows = allLogits ? m : 1;
        int first = allLogits ? 0 : m - 1;
        System.arraycopy(s.x, first * dim, s.xb2, 0, rows * dim);
        outputNorm.apply(pool, s.xb, s.xb2, rows, dim);
        if (comm.worldSize() == 1) {
            output.apply(pool, s.xb, rows, logits);
        } else {
            gatherLogits(s, rows, logits);
        }
    }

    /** Vocab-parallel output: each rank computes its rows of logits, padded to a common stride for the allgather. */
    private void gatherLogits(Scratch s, int rows, float[] logits) {
        int own = local.vocabRows();
        int stride = local.vocabStride();
        int n = comm.worldSize();
        if (logitSlice.length < rows * stride) {
            logitSlice = new float[rows * stride];
            logitsGathered = new float[n * rows * stride];
        }
        output.apply(pool, s.xb, rows, logitSlice); // rows × own, packed
        if (own < stride) { // spread to rows × stride, last row first so nothing is overwritten before it is moved
            for (int i = rows - 1; i > 0; i--) {
                System.arraycopy(logitSlice, i * own, logitSlice, i * stride, own);
            }
        }
        comm.allGather(logitSlice, 0, rows * stride, logitsGathered, 0);
        int vocab = config.vocabSize();
        int[] bounds = local.vocabBounds();
        for (int r = 0; r < n; r++) {
            int first = bounds[r];
            int count = bounds[r + 1] - first;
            for (int i = 0; i < rows; i++) {
                System.arraycopy(logitsGathered, (r * rows + i) * stride, logits, i * vocab + first, count);
            }
        }
    }

    /** Sums the row-parallel partial results of all ranks (identity on one rank). */
    private void allReduce(float[] partial, int length) {
        if (comm.worldSize() > 1) {
            comm.allReduceSum(partial, 0, length, WireType.F32);
        }
    }

    /** x += attn(norm1(x)); x += ffn(norm2(x)) — Llama and non-parallel GPT-NeoX. */
    private void sequentialBlock(int l, int m, Scratch s) {
        LayerWeights w = layers[l];
        int dim = config.dim();
        w.attnNorm().apply(pool, s.xb, s.x, m, dim);
        attention(l, w, m, s);
        allReduce(s.xb2, m * dim);
        add(s.x, s.x, s.xb2, m * dim);
        w.ffnNorm().apply(pool, s.xb, s.x, m, dim);
        feedForward(w, m, s);
        allReduce(s.xb2, m * dim);
        add(s.x, s.x, s.xb2, m * dim);
    }

    /** x += attn(norm1(x)) + ffn(norm2(x)) — GPT-NeoX/GPT-J parallel residual. */
    private void parallelResidualBlock(int l, int m, Scratch s) {
        LayerWeights w = layers[l];
        int dim = config.dim();
        w.attnNorm().apply(pool, s.xb, s.x, m, dim);
        attention(l, w, m, s);
        System.arraycopy(s.xb2, 0, s.residual, 0, m * dim);
        w.ffnNorm().apply(pool, s.xb, s.x, m, dim); // both branches read the block's input
        feedForward(w, m, s);
        add(s.xb2, s.xb2, s.residual, m * dim); // (ffn + attn) + x, the order llama.cpp and transformers use
        allReduce(s.xb2, m * dim); // both branches' partial sums at once: ONE allreduce per layer
        add(s.x, s.x, s.xb2, m * dim);
    }

    /** out = a + b over n floats, split over the pool when large. */
    private void add(float[] out, float[] a, float[] b, int n) {
        pool.parallelFor(n, ELEMENT_GRAIN, (from, to, worker) -> Ops.add(out, from, a, from, b, from, to - from));
    }

    /** Reads s.xb (normed input), leaves the attention block's output projection in s.xb2. */
    private void attention(int l, LayerWeights w, int m, Scratch s) {
        ModelConfig c = config;
        int qDim = local.qDim(c);
        int kvDim = local.kvDim(c);
        if (w.qkv() != null) {
            w.qkv().apply(pool, s.xb, m, s.qkv);
            splitFusedQkv(s, m);
        } else {
            Projection.applyAll(pool, w.qkvParts(), s.xb, m, new float[][] {s.q, s.k, s.v});
        }
        pool.parallelFor(m, rowGrain(qDim + 2 * kvDim), (from, to, worker) -> {
            for (int i = from; i < to; i++) { // rows store to distinct cache entries
                int pos = s.rowPos[i];
                rope(s.q, i * qDim, local.heads(), pos);
                rope(s.k, i * kvDim, local.kvHeads(), pos);
                s.rowCache[i].store(l, s.rowEntry[i], s.k, i * kvDim, s.v, i * kvDim);
            }
        });
        if (s.sequenceStart >= 0) {
            if (m >= BlockedAttention.MIN_CHUNK_ROWS) {
                blockedAttention.attendChunk(pool, s.rowCache[0], l, s.q, s.att, m, s.sequenceStart);
            } else {
                attend(l, m, s, null);
            }
        } else {
            int groups = s.beamGroups(m);
            if (groups > 0) {
                blockedAttention.attendBeams(pool, l, s.groupFirst, groups, s.rowCache, s.rowPos, s.q, s.att);
            }
            if (s.rowsOutsideGroups > 0) {
                attend(l, m, s, groups > 0 ? s.inGroup : null);
            }
        }
        w.out().apply(pool, s.att, m, s.xb2);
    }

    private void rope(float[] vec, int off, int heads, int pos) {
        ModelConfig c = config;
        if (pos < ropeTable.maxPositions()) {
            ropeTable.apply(vec, off, heads, c.headDim(), pos, c.ropeStyle());
        } else {
            Rope.rope(vec, off, heads, c.headDim(), c.ropeDims(), pos, c.ropeTheta(), c.ropeFreqScale(), c.ropeStyle());
        }
    }

    private void splitFusedQkv(Scratch s, int m) {
        ModelConfig c = config;
        int qDim = local.qDim(c);
        int kvDim = local.kvDim(c);
        int hd = c.headDim();
        int row = qDim + 2 * kvDim;
        for (int i = 0; i < m; i++) {
            int base = i * row;
            if (c.qkvLayout() == QkvLayout.FUSED_BLOCKED) {
                System.arraycopy(s.qkv, base, s.q, i * qDim, qDim);
                System.arraycopy(s.qkv, base + qDim, s.k, i * kvDim, kvDim);
                System.arraycopy(s.qkv, base + qDim + kvDim, s.v, i * kvDim, kvDim);
            } else { // FUSED_PER_HEAD: [q_h | k_h | v_h] per head; no GQA in this layout
                for (int h = 0; h < local.heads(); h++) {
                    int src = base + h * 3 * hd;
                    System.arraycopy(s.qkv, src, s.q, i * qDim + h * hd, hd);
                    System.arraycopy(s.qkv, src + hd, s.k, i * kvDim + h * hd, hd);
                    System.arraycopy(s.qkv, src + 2 * hd, s.v, i * kvDim + h * hd, hd);
                }
            }
        }
    }

    /**
     * Causal softmax attention of every row over its row's cache, split across the pool by row and
     * KV head: the query heads that read one KV head go together, so its keys and values are read
     * once for all of them. A row reads positions 0..its own; those past the cache's shared prefix
     * (a beam's own) are gathered through the beam's lineage. Rows marked in {@code skip} (beam
     * groups that {@link BlockedAttention} took) are left alone; {@code skip} may be null.
     */
    private void attend(int l, int m, Scratch s, boolean[] skip) {
        ModelConfig c = config;
        int runs = headRuns.length - 1;
        int hd = c.headDim();
        int qDim = local.qDim(c);
        float scale = (float) (1.0 / Math.sqrt(hd));
        pool.parallelFor(m * runs, (from, to, worker) -> {
            float[] scores = s.scores[worker];
            int[] queryAt = s.queryAt[worker];
            int stride = c.contextLength();
            for (int t = from; t < to; t++) {
                int i = t / runs;
                if (skip != null && skip[i]) {
                    continue;
                }
                int h0 = headRuns[t % runs], rows = headRuns[t % runs + 1] - h0;
                KvCache cache = s.rowCache[i];
                int last = s.rowPos[i];
                int shared = cache.sharedPositions();
                int[] lineage = cache.lineage(s.rowBeam[i]);
                int qOff = i * qDim + h0 * hd; // the group's heads are consecutive
                for (int r = 0; r < rows; r++) {
                    queryAt[r] = qOff + r * hd;
                }
                int kvOff = local.kvHeadOf(h0, c) * hd;
                int sharedEnd = Math.min(last + 1, shared); // entries 0..sharedEnd-1 hold positions 0..sharedEnd-1
                cache.scoreKeys(l, kvOff, hd, s.q, queryAt, rows, 0, sharedEnd, scale, scores, stride);
                for (int r = 0; r < rows; r++) {
                    for (int p = sharedEnd; p <= last; p++) { // a beam's own positions, wherever its lineage put them
                        scores[r * stride + p] = cache.dotKey(l, lineage[p - shared], kvOff, s.q, queryAt[r], hd) * scale;
                    }
                    Ops.softmax(scores, r * stride, last + 1);
                }
                java.util.Arrays.fill(s.att, qOff, qOff + rows * hd, 0f);
                cache.addWeightedValues(l, kvOff, hd, scores, stride, queryAt, rows, 0, sharedEnd, s.att);
                for (int r = 0; r < rows; r++) {
                    for (int p = sharedEnd; p <= last; p++) {
                        cache.addScaledValue(l, lineage[p - shared], kvOff, scores[r * stride + p], s.att, queryAt[r], hd);
                    }
                }
            }
        });
    }

    /** Reads s.xb (normed input), leaves the feed-forward output in s.xb2. */
    private void feedForward(LayerWeights w, int m, Scratch s) {
        int ffn = local.ffnDim();
        switch (config.activation()) {
            case SWIGLU -> {
                Projection.applyAll(pool, w.gateUp(), s.xb, m, new float[][] {s.hb, s.hb2});
                pool.parallelFor(m * ffn, ELEMENT_GRAIN,
                        (from, to, worker) -> Ops.swiglu(s.hb, from, s.hb, from, s.hb2, from, to - from));
            }
            case GELU_TANH -> {
                w.up().apply(pool, s.xb, m, s.hb);
                pool.parallelFor(m * ffn, ELEMENT_GRAIN, (from, to, worker) -> Ops.geluTanh(s.hb, from, s.hb, from, to - from));
            }
            case GELU_ERF -> {
                w.up().apply(pool, s.xb, m, s.hb);
                pool.parallelFor(m * ffn, ELEMENT_GRAIN, (from, to, worker) -> Ops.geluErf(s.hb, from, s.hb, from, to - from));
            }
        }
        w.down().apply(pool, s.hb, m, s.xb2);
    }
}
