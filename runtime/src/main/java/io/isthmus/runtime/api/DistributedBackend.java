package io.isthmus.runtime.api;

import io.isthmus.runtime.cluster.DriverGroup;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.model.ForwardPass;
import io.isthmus.runtime.model.WeightSummary;

/** Rank 0 of a tensor-parallel group whose followers run in their own JVMs. */
record DistributedBackend(DriverGroup group) implements Backend {

    @Override
    public ForwardPass forward() {
        return group.forward();
    }

    @Override
    public ComputePool pool() {
        return group.shard().pool();
    }

    @Override
    public int worldSize() {
        return group.worldSize();
    }

    @Override
    public WeightSummary weightSummary() {
        return WeightSummary.of(group.shard().model());
    }

    @Override
    public long weightBytesPerToken() {
        return group.shard().transformer().weightBytesPerToken();
    }

    @Override
    public RuntimeException explain(RuntimeException e) {
        return group.explain(e);
    }

    @Override
    public void finishOnEngineThread() {
        group.shutDownFollowers();
    }

    @Override
    public void close() {
        group.close();
    }
}
