package io.isthmus.runtime.onednn;

/**
 * One matmul primitive for M rows with the descriptors its execution needs: src (M×K), dst (M×N),
 * and the weights layout it was created for. Shared by every matrix of the same path and shape.
 */
record MatmulPlan(Primitive primitive, MemoryDesc src, MemoryDesc dst) {
}
