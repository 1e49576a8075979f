package io.isthmus.runtime.api;

import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.model.ForwardPass;
import io.isthmus.runtime.model.WeightSummary;

/** Where an engine's forward passes run: this process alone, or rank 0 of a tensor-parallel group. */
interface Backend extends AutoCloseable {

    ForwardPass forward();

    /** The compute pool of this process (rank 0's when distributed); its first CPU hosts the engine's thread. */
    ComputePool pool();

    int worldSize();

    /** The formats of the model's weight matrices (the whole model's, as loaded and converted). */
    WeightSummary weightSummary();

    /** Bytes of weights one decode step reads in this process. */
    long weightBytesPerToken();

    /** The error to report for {@code e} (a follower's death rather than the timeout it caused). */
    default RuntimeException explain(RuntimeException e) {
        return e;
    }

    /** Last words on the engine's thread before {@link #close()} (followers are told to stop). */
    default void finishOnEngineThread() {
    }

    @Override
    void close();
}
