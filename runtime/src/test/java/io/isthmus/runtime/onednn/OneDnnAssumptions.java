package io.isthmus.runtime.onednn;

import io.isthmus.runtime.kernel.ComputePool;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Skips a test, saying why, where oneDNN is missing or cannot compute the precision it checks on this CPU. */
final class OneDnnAssumptions {
    private OneDnnAssumptions() {
    }

    static OneDnn loaded(ComputePool pool) {
        assumeTrue(OneDnn.get(pool.cpus()).isPresent(), "oneDNN unavailable: " + OneDnn.unavailableReason());
        return OneDnn.get(pool.cpus()).orElseThrow();
    }

    static void bf16(ComputePool pool) {
        OneDnn dnn = loaded(pool);
        assumeTrue(dnn.hasBf16Matmul(), "oneDNN " + dnn.version() + " has no bf16 matmul on " + dnn.isa().label());
    }

    static void exactInt8(ComputePool pool) {
        OneDnn dnn = loaded(pool);
        assumeTrue(dnn.isa().hasExactInt8(), "oneDNN " + dnn.version() + " has no exact int8 products on "
                + dnn.isa().label() + " (no VNNI)");
    }
}
