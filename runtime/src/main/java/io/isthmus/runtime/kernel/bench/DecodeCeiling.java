package io.isthmus.runtime.kernel.bench;

import static io.isthmus.runtime.kernel.VectorSettings.F;
import static io.isthmus.runtime.kernel.VectorSettings.I;
import static io.isthmus.runtime.kernel.VectorSettings.LANES;
import static jdk.incubator.vector.VectorOperators.I2F;

import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.NibbleLevels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The fastest any float decode of 4-bit codes can go on these threads, memory aside: the least work
 * per vector of codes is an AND (mask a nibble in place, {@code Int4LaneMatrix}'s decode) and an FMA
 * (plus a conversion where {@link NibbleLevels} chose converted levels), so this times exactly that — eight independent AND+FMA chains on values in registers, no loads —
 * on every pool thread at once, and reports it as bytes of codes per second (a vector of codes is
 * {@code LANES} codes, half a byte each). A kernel cannot read 4-bit weights faster than this,
 * whatever the memory bandwidth: on a machine where this is below the read bandwidth, the kernels
 * are bound by arithmetic, not memory.
 */
final class DecodeCeiling {
    private static final long PAIRS_PER_ROUND = 8L * 4_000_000;
    private static final boolean SUB = NibbleLevels.SUBNORMAL;

    private DecodeCeiling() {
    }

    /** Bytes of 4-bit codes per second that all pool threads together could decode, best of a few timed rounds after warm-up. */
    static double bytesPerSecond(ComputePool pool) {
        float[] sink = new float[pool.size() * 16];
        JitActivity jit = new JitActivity();
        double best = 0;
        for (int round = 0; round < 40 && !(round >= 8 && jit.quietSinceLastCall() && best > 0); round++) {
            long start = System.nanoTime();
            pool.parallelFor(pool.size(), (from, to, worker) -> sink[worker * 16] += chains(PAIRS_PER_ROUND / 8, worker));
            double seconds = (System.nanoTime() - start) / 1e9;
            if (round >= 4) { // the first rounds run before C2 has compiled the loop
                best = Math.max(best, pool.size() * PAIRS_PER_ROUND * LANES * 0.5 / seconds);
            }
        }
        return best;
    }

    /** {@code n} steps of eight AND+FMA pairs; the int lanes change each step so nothing folds away. */
    private static float chains(long n, int seed) {
        FloatVector x = FloatVector.broadcast(F, SUB ? 0x1p100f : 1e-6f); // products of normal size either way
        IntVector w = IntVector.broadcast(I, 0x12345 + seed), step = IntVector.broadcast(I, 0x01010101);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (long i = 0; i < n; i++) {
            w = w.add(step);
            a0 = (SUB ? w.and(0xF).reinterpretAsFloats() : (FloatVector) w.and(0xF).convert(I2F, 0)).fma(x, a0);
            a1 = (SUB ? w.and(0xF0).reinterpretAsFloats() : (FloatVector) w.and(0xF0).convert(I2F, 0)).fma(x, a1);
            a2 = (SUB ? w.and(0xF00).reinterpretAsFloats() : (FloatVector) w.and(0xF00).convert(I2F, 0)).fma(x, a2);
            a3 = (SUB ? w.and(0xF000).reinterpretAsFloats() : (FloatVector) w.and(0xF000).convert(I2F, 0)).fma(x, a3);
            a4 = (SUB ? w.and(0xF0000).reinterpretAsFloats() : (FloatVector) w.and(0xF0000).convert(I2F, 0)).fma(x, a4);
            a5 = (SUB ? w.and(0xF00000).reinterpretAsFloats() : (FloatVector) w.and(0xF00000).convert(I2F, 0)).fma(x, a5);
            a6 = (SUB ? w.and(0x3F).reinterpretAsFloats() : (FloatVector) w.and(0x3F).convert(I2F, 0)).fma(x, a6);
            a7 = (SUB ? w.and(0xFC0).reinterpretAsFloats() : (FloatVector) w.and(0xFC0).convert(I2F, 0)).fma(x, a7);
        }
        return a0.add(a1).add(a2.add(a3)).add(a4.add(a5).add(a6.add(a7))).reduceLanes(VectorOperators.ADD);
    }
}
