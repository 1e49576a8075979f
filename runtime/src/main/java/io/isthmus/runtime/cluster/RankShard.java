package io.isthmus.runtime.cluster;

import io.isthmus.collectives.Communicator;
import io.isthmus.numa.CpuSet;
import io.isthmus.numa.MemoryPolicy;
import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.format.ModelLoader;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.Repacking;
import io.isthmus.runtime.model.Transformer;
import io.isthmus.runtime.quant.WeightFormats;
import io.isthmus.runtime.tp.ShardLoader;
import io.isthmus.runtime.tp.ShardPlanner;

import java.nio.file.Path;

/**
 * One rank's part of a tensor-parallel model: the model mapped (and converted to its format), the
 * rank's shard planned and loaded, a compute pool on the rank's cores, and the Transformer that
 * runs the shard with the group's communicator. Every rank builds it the same way, so the plans
 * agree without being sent around.
 */
public final class RankShard implements AutoCloseable {
    private final ModelWeights model;
    private final ShardLoader.RankWeights weights;
    private final ComputePool pool;
    private final Transformer transformer;

    private RankShard(ModelWeights model, ShardLoader.RankWeights weights, ComputePool pool, Transformer transformer) {
        this.model = model;
        this.weights = weights;
        this.pool = pool;
        this.transformer = transformer;
    }

    /**
     * @param cores the rank's cores (one pinned compute thread each), or null for all CPUs the
     *              process may use
     * @param node  the rank's NUMA node, or -1: while the shard is loaded the calling thread's memory
     *              policy binds to it, so the copied slices, and the pool threads started meanwhile
     *              (which inherit the policy), allocate there; the caller's policy is restored after
     */
    public static RankShard open(Path modelPath, FormatSpec format, Communicator comm, CpuSet cores, int node) {
        MemoryPolicy.Policy callers = node >= 0 ? MemoryPolicy.currentThreadPolicy() : null;
        ModelWeights model = null;
        ShardLoader.RankWeights weights = null;
        ComputePool pool = null;
        try {
            if (node >= 0) {
                MemoryPolicy.bindCurrentThread(node);
            }
            model = WeightFormats.convertForCompute(ModelLoader.load(modelPath), format);
            weights = ShardLoader.load(model, ShardPlanner.plan(model, comm.worldSize()), comm.rank());
            weights = new ShardLoader.RankWeights(Repacking.apply(weights.weights()), weights.dims()); // the repacked own the shard
            pool = cores != null ? new ComputePool(cores, true) : new ComputePool();
            return new RankShard(model, weights, pool, new Transformer(weights.weights(), weights.dims(), pool, comm));
        } catch (RuntimeException | Error e) {
            if (pool != null) {
                pool.close();
            }
            if (weights != null) {
                weights.close();
            }
            if (model != null) {
                model.close();
            }
            throw e;
        } finally {
            if (callers != null) {
                MemoryPolicy.setCurrentThreadPolicy(callers.mode(), callers.nodes());
            }
        }
    }

    public Transformer transformer() {
        return transformer;
    }

    /** The whole model this rank's shard was cut from (converted to its format). */
    public ModelWeights model() {
        return model;
    }

    public ComputePool pool() {
        return pool;
    }

    @Override
    public void close() {
        pool.close();
        weights.close();
        model.close();
    }
}
