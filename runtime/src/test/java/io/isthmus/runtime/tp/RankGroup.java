package io.isthmus.runtime.tp;

import io.isthmus.collectives.InProcessCommunicator;
import io.isthmus.numa.CpuSet;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.model.KvCache;
import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.Repacking;
import io.isthmus.runtime.model.Transformer;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * N tensor-parallel ranks as threads of this JVM: each its own Transformer over its shard, its own
 * one-thread pool, all joined by one {@link InProcessCommunicator} group. Rank 0 chooses each token
 * (greedy) and broadcasts it, as the driver will.
 */
final class RankGroup implements AutoCloseable {
    private final ShardPlan plan;
    private final List<ShardLoader.RankWeights> weights = new ArrayList<>();
    private final List<ComputePool> pools = new ArrayList<>();
    private final List<Transformer> models = new ArrayList<>();
    private final InProcessCommunicator[] comms;
    private final ExecutorService threads;

    RankGroup(ModelWeights model, int worldSize, int grain) {
        plan = ShardPlanner.plan(model, worldSize, grain);
        comms = InProcessCommunicator.group(worldSize, Duration.ofSeconds(60));
        threads = Executors.newFixedThreadPool(worldSize);
        for (int r = 0; r < worldSize; r++) {
            ShardLoader.RankWeights shard = ShardLoader.load(model, plan, r);
            // as RankShard does: the shard's Q8_0 matrices repacked (closing the result closes the shard)
            ShardLoader.RankWeights w = new ShardLoader.RankWeights(Repacking.apply(shard.weights()), shard.dims());
            weights.add(w);
            ComputePool pool = new ComputePool(CpuSet.of(0), false); // one unpinned worker: ranks share the cores
            pools.add(pool);
            models.add(new Transformer(w.weights(), w.dims(), pool, comms[r]));
        }
    }

    ShardPlan plan() {
        return plan;
    }

    int vocabSize() {
        return models.get(0).config().vocabSize();
    }

    /** Greedy generation of {@code count} tokens after {@code prompt}; the first step's logits go to firstLogits. */
    int[] generate(int[] prompt, int count, float[] firstLogits) throws Exception {
        List<Future<int[]>> fs = new ArrayList<>();
        for (int r = 0; r < models.size(); r++) {
            int rank = r;
            fs.add(threads.submit(() -> runRank(rank, prompt, count, firstLogits)));
        }
        int[] tokens = null;
        for (Future<int[]> f : fs) {
            try {
                int[] t = f.get();
                tokens = tokens == null ? t : tokens;
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception x ? x : e;
            }
        }
        return tokens;
    }

    private int[] runRank(int rank, int[] prompt, int count, float[] firstLogits) {
        Transformer t = models.get(rank);
        InProcessCommunicator comm = comms[rank];
        try {
            KvCache cache = t.newCache(KvCacheType.F32, prompt.length + count);
            float[] logits = new float[t.config().vocabSize()];
            t.forward(cache, prompt, 0, prompt.length, 0, logits, false);
            if (rank == 0) {
                System.arraycopy(logits, 0, firstLogits, 0, logits.length);
            }
            int[] out = new int[count];
            byte[] wire = new byte[4];
            for (int i = 0; i < count; i++) {
                if (rank == 0) {
                    ByteBuffer.wrap(wire).putInt(argmax(logits));
                }
                comm.broadcast(wire, 0, 4, 0);
                out[i] = ByteBuffer.wrap(wire).getInt();
                if (i + 1 < count) {
                    t.forward(cache, out, i, 1, prompt.length + i, logits, false);
                }
            }
            return out;
        } catch (RuntimeException | Error e) {
            comm.abort("failed: " + e); // the other ranks fail at once instead of timing out
            throw e;
        }
    }

    /** Ties go to the lowest id, as the Sampler's greedy choice. */
    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    @Override
    public void close() {
        threads.shutdownNow();
        pools.forEach(ComputePool::close);
        weights.forEach(ShardLoader.RankWeights::close);
    }
}
