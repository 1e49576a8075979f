package io.isthmus.collectives.shm;

import io.isthmus.collectives.Bf16;

import io.isthmus.collectives.WireType;
import java.util.SplittableRandom;

/** Deterministic per-rank test data and the sequential rank-order sums it should reduce to. */
final class Contributions {
    private Contributions() {
    }

    /** Values of mixed magnitude and sign, so f32 rounding depends on summation order. */
    static float[] of(int rank, int salt, int length) {
        SplittableRandom random = new SplittableRandom(1_000_003L * rank + salt);
        float[] data = new float[length];
        for (int i = 0; i < length; i++) {
            data[i] = (float) ((random.nextDouble() * 2 - 1) * Math.scalb(1.0, random.nextInt(-8, 9)));
        }
        return data;
    }

    /** Rank 0 + rank 1 + ... in f32, each contribution first rounded to the wire type. */
    static float[] sequentialSum(int worldSize, int salt, int length, WireType wire) {
        float[] sum = new float[length];
        for (int rank = 0; rank < worldSize; rank++) {
            float[] data = of(rank, salt, length);
            for (int i = 0; i < length; i++) {
                float value = wire == WireType.BF16 ? Bf16.toFloat(Bf16.fromFloat(data[i])) : data[i];
                sum[i] = rank == 0 ? value : sum[i] + value;
            }
        }
        return sum;
    }
}
