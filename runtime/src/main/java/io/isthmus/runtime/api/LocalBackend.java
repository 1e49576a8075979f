package io.isthmus.runtime.api;

import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.model.ForwardPass;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.Transformer;
import io.isthmus.runtime.model.WeightSummary;

/** One process holds the whole model. */
record LocalBackend(ModelWeights weights, ComputePool pool, Transformer transformer) implements Backend {

    @Override
    public ForwardPass forward() {
        return transformer;
    }

    @Override
    public int worldSize() {
        return 1;
    }

    @Override
    public WeightSummary weightSummary() {
        return WeightSummary.of(weights);
    }

    @Override
    public long weightBytesPerToken() {
        return transformer.weightBytesPerToken();
    }

    @Override
    public void close() {
        pool.close();
        weights.close();
    }
}
