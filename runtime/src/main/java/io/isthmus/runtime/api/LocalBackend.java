package io.isthmus.runtime.api;

import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.model.ForwardPass;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.Transformer;

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
    public long weightBytesPerToken() {
        return transformer.weightBytesPerToken();
    }

    @Override
    public void close() {
        pool.close();
        weights.close();
    }
}
