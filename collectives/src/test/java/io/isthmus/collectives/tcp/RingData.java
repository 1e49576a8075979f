package io.isthmus.collectives.tcp;

import java.util.SplittableRandom;

/** Deterministic per-rank contributions and their sums (for the tcp and hier tests). */
public final class RingData {
    private RingData() {
    }

    /**
     * Integers in [-32, 32]: every partial sum of up to 8 of them is an integer of magnitude at most
     * 256, exact in f32 and in bf16, so the sum is exact in any order and under either wire type.
     */
    public static float[] integers(int rank, int salt, int length) {
        SplittableRandom random = new SplittableRandom(7_919L * rank + salt);
        float[] data = new float[length];
        for (int i = 0; i < length; i++) {
            data[i] = random.nextInt(-32, 33);
        }
        return data;
    }

    public static float[] integerSum(int worldSize, int salt, int length) {
        float[] sum = new float[length];
        for (int rank = 0; rank < worldSize; rank++) {
            float[] data = integers(rank, salt, length);
            for (int i = 0; i < length; i++) {
                sum[i] += data[i];
            }
        }
        return sum;
    }

    /** Values of mixed magnitude and sign, so the rounding depends on the order of summation. */
    public static float[] mixed(int rank, int salt, int length) {
        SplittableRandom random = new SplittableRandom(1_000_003L * rank + salt);
        float[] data = new float[length];
        for (int i = 0; i < length; i++) {
            data[i] = (float) ((random.nextDouble() * 2 - 1) * Math.scalb(1.0, random.nextInt(-8, 9)));
        }
        return data;
    }

    /** Exact sums (in double) of the mixed contributions, and of their magnitudes. */
    public static double[][] mixedSumAndMagnitude(int worldSize, int salt, int length) {
        double[] sum = new double[length];
        double[] magnitude = new double[length];
        for (int rank = 0; rank < worldSize; rank++) {
            float[] data = mixed(rank, salt, length);
            for (int i = 0; i < length; i++) {
                sum[i] += data[i];
                magnitude[i] += Math.abs(data[i]);
            }
        }
        return new double[][] {sum, magnitude};
    }
}
