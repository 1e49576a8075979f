package io.isthmus.runtime.api;

import io.isthmus.numa.RankPlan;
import io.isthmus.runtime.cluster.HostLayout;
import io.isthmus.runtime.model.KvCacheType;

import java.nio.file.Path;

/**
 * Settings that override the model.yaml (or its defaults) when opening an {@link Engine}.
 * Null / 0 fields mean "as the yaml says, else the default".
 *
 * @param threads      compute threads, one per CPU the process may use when 0
 * @param tokenizer    tokenizer file for models that carry none (llama2.c checkpoints)
 * @param kvCacheType  f32 or bf16 KV cache
 * @param contextLimit positions per sequence (defaults to the model's context length)
 * @param warmUpMillis time {@link Engine#open} spends running a throw-away sequence so the JIT has
 *                     compiled the kernels before the first request (0: none)
 * @param worldSize    tensor-parallel ranks (0: the yaml's tensor_parallel, else 1); above 1 this JVM
 *                     is rank 0 and starts the followers
 * @param rankPlan     where the ranks run (null: an even split of this machine's cores); a plan of
 *                     one rank pins this process's compute threads to its cores
 * @param hosts        the job's hosts (null: this one alone); on several, worldSize and rankPlan are
 *                     this host's ranks, every host runs as many, and this JVM is the driver only on
 *                     host 0 ({@link Engine#open} refuses the others: their launchers run
 *                     {@link io.isthmus.runtime.cluster.HostFollowers})
 */
public record EngineOptions(int threads, Path tokenizer, KvCacheType kvCacheType, int contextLimit, long warmUpMillis,
                            int worldSize, RankPlan rankPlan, HostLayout hosts) {

    public static final long DEFAULT_WARM_UP_MILLIS = 300;

    public static EngineOptions defaults() {
        return new EngineOptions(0, null, null, 0, DEFAULT_WARM_UP_MILLIS, 0, null, null);
    }

    public EngineOptions withWarmUpMillis(long ms) {
        return new EngineOptions(threads, tokenizer, kvCacheType, contextLimit, ms, worldSize, rankPlan, hosts);
    }

    public EngineOptions withThreads(int n) {
        return new EngineOptions(n, tokenizer, kvCacheType, contextLimit, warmUpMillis, worldSize, rankPlan, hosts);
    }

    public EngineOptions withTokenizer(Path p) {
        return new EngineOptions(threads, p, kvCacheType, contextLimit, warmUpMillis, worldSize, rankPlan, hosts);
    }

    public EngineOptions withKvCacheType(KvCacheType t) {
        return new EngineOptions(threads, tokenizer, t, contextLimit, warmUpMillis, worldSize, rankPlan, hosts);
    }

    public EngineOptions withContextLimit(int n) {
        return new EngineOptions(threads, tokenizer, kvCacheType, n, warmUpMillis, worldSize, rankPlan, hosts);
    }

    public EngineOptions withWorldSize(int n) {
        return new EngineOptions(threads, tokenizer, kvCacheType, contextLimit, warmUpMillis, n, rankPlan, hosts);
    }

    public EngineOptions withHosts(HostLayout layout) {
        return new EngineOptions(threads, tokenizer, kvCacheType, contextLimit, warmUpMillis, worldSize, rankPlan, layout);
    }

    /** The job's hosts: this one alone unless {@link #withHosts} said otherwise. */
    public HostLayout hostLayout() {
        return hosts != null ? hosts : HostLayout.single();
    }

    public EngineOptions withRankPlan(RankPlan plan) {
        return new EngineOptions(threads, tokenizer, kvCacheType, contextLimit, warmUpMillis, plan.worldSize(), plan, hosts);
    }
}
