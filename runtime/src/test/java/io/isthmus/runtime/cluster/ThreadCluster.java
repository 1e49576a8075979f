package io.isthmus.runtime.cluster;

import io.isthmus.collectives.Communicator;
import io.isthmus.collectives.InProcessCommunicator;
import io.isthmus.runtime.generate.Generator;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.Transformer;
import io.isthmus.runtime.tokenizer.Tokenizer;
import io.isthmus.runtime.tp.ShardLoader;
import io.isthmus.runtime.tp.ShardPlan;
import io.isthmus.runtime.tp.ShardPlanner;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * A tensor-parallel group whose ranks are threads of this JVM: rank 0 is a {@link Generator} over a
 * {@link DriverForward}, driven by the caller's thread; ranks 1.. run {@link Follower#run} on
 * threads of their own. Each rank has its own shard and a one-thread pool.
 */
final class ThreadCluster implements AutoCloseable {
    private final List<ShardLoader.RankWeights> weights = new ArrayList<>();
    private final List<ComputePool> pools = new ArrayList<>();
    private final InProcessCommunicator[] comms;
    private final DriverForward driver;
    private final Generator generator;
    /** Each follower's result: the steps it ran, or its failure. */
    final List<CompletableFuture<Long>> followers = new ArrayList<>();

    ThreadCluster(ModelWeights model, Tokenizer tokenizer, int worldSize, Duration timeout) {
        this(model, tokenizer, worldSize, timeout, UnaryOperator.identity());
    }

    /** {@code followerComm} may wrap a follower's communicator (to make it fail). */
    ThreadCluster(ModelWeights model, Tokenizer tokenizer, int worldSize, Duration timeout,
                  UnaryOperator<Communicator> followerComm) {
        ShardPlan plan = ShardPlanner.plan(model, worldSize, ShardPlanner.DEFAULT_GRAIN);
        comms = InProcessCommunicator.group(worldSize, timeout);
        Transformer[] shards = new Transformer[worldSize];
        Communicator[] rankComms = new Communicator[worldSize];
        for (int r = 0; r < worldSize; r++) {
            rankComms[r] = r == 0 ? comms[0] : followerComm.apply(comms[r]);
            ShardLoader.RankWeights w = ShardLoader.load(model, plan, r);
            weights.add(w);
            ComputePool pool = new ComputePool(1);
            pools.add(pool);
            shards[r] = new Transformer(w.weights(), w.dims(), pool, rankComms[r]);
        }
        for (int r = 1; r < worldSize; r++) {
            Transformer shard = shards[r];
            Communicator comm = rankComms[r];
            CompletableFuture<Long> f = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    f.complete(Follower.run(shard, comm));
                } catch (Throwable e) {
                    f.completeExceptionally(e);
                }
            }, "follower-" + r);
            t.setDaemon(true);
            t.start();
            followers.add(f);
        }
        driver = new DriverForward(shards[0], comms[0]);
        generator = new Generator(driver, tokenizer, KvCacheType.F32, model.config().contextLength());
    }

    Generator generator() {
        return generator;
    }

    DriverForward driver() {
        return driver;
    }

    /** Shuts the followers down (if the group still works), then frees everything. */
    @Override
    public void close() {
        try {
            driver.close();
            for (CompletableFuture<Long> f : followers) {
                f.join();
            }
        } finally {
            free();
        }
    }

    /** Frees communicators, pools and shards without talking to the followers (for a broken group). */
    void free() {
        for (InProcessCommunicator c : comms) {
            c.close();
        }
        pools.forEach(ComputePool::close);
        weights.forEach(ShardLoader.RankWeights::close);
    }
}
