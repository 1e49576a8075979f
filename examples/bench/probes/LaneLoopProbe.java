import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.LSHR;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The inner loop of Int4LaneMatrix.row (256 bits) with its codes and x in L1, on one thread: what the
 * arithmetic of that loop allows with no memory traffic, in GB/s of 4-bit codes. Two forms: four
 * accumulators (two FMAs each per vector of codes) and eight (one each), both in one loop closing a
 * 16-vector chunk as the kernel does. Run:
 * {@code java --add-modules jdk.incubator.vector examples/bench/probes/LaneLoopProbe.java [vectors] [four|eight]}.
 */
public class LaneLoopProbe {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final int[] MASKS = new int[40];
    static volatile float sink;

    static {
        for (int p = 0; p < 5; p++) {
            java.util.Arrays.fill(MASKS, 8 * p, 8 * p + 8, 15 << 4 * p);
        }
    }

    interface Loop {
        float run(MemorySegment codes, float[] x, int vectors, float[] chunkSums);
    }

    static float fourChains(MemorySegment codes, float[] x, int vectors, float[] chunkSums) {
        IntVector m0 = IntVector.fromArray(I, MASKS, 0), m1 = IntVector.fromArray(I, MASKS, 8), m2 = IntVector.fromArray(I, MASKS, 16),
                m3 = IntVector.fromArray(I, MASKS, 24), m4 = IntVector.fromArray(I, MASKS, 32);
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
        for (int k = 0, v = 0, s = 0; k < vectors; k++) {
            IntVector w = IntVector.fromMemorySegment(I, codes, 32L * k, LE), u = w.lanewise(LSHR, 20);
            int xo = 64 * k;
            c0 = w.and(m0).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo), c0);
            c1 = w.and(m1).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 8), c1);
            c2 = w.and(m2).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 16), c2);
            c3 = w.and(m3).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 24), c3);
            c0 = w.and(m4).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 32), c0);
            c1 = u.and(m0).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 40), c1);
            c2 = u.and(m1).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 48), c2);
            c3 = u.and(m2).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 56), c3);
            if (++v == 16) {
                c0.add(c1).add(c2.add(c3)).intoArray(chunkSums, 8 * s++);
                c0 = FloatVector.zero(F);
                c1 = c0;
                c2 = c0;
                c3 = c0;
                v = 0;
            }
        }
        return chunkSums[0];
    }

    static float eightChains(MemorySegment codes, float[] x, int vectors, float[] chunkSums) {
        IntVector m0 = IntVector.fromArray(I, MASKS, 0), m1 = IntVector.fromArray(I, MASKS, 8), m2 = IntVector.fromArray(I, MASKS, 16),
                m3 = IntVector.fromArray(I, MASKS, 24), m4 = IntVector.fromArray(I, MASKS, 32);
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int k = 0, v = 0, s = 0; k < vectors; k++) {
            IntVector w = IntVector.fromMemorySegment(I, codes, 32L * k, LE), u = w.lanewise(LSHR, 20);
            int xo = 64 * k;
            c0 = w.and(m0).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo), c0);
            c1 = w.and(m1).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 8), c1);
            c2 = w.and(m2).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 16), c2);
            c3 = w.and(m3).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 24), c3);
            c4 = w.and(m4).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 32), c4);
            c5 = u.and(m0).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 40), c5);
            c6 = u.and(m1).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 48), c6);
            c7 = u.and(m2).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + 56), c7);
            if (++v == 16) {
                c0.add(c1).add(c2.add(c3)).add(c4.add(c5).add(c6.add(c7))).intoArray(chunkSums, 8 * s++);
                c0 = FloatVector.zero(F);
                c1 = c0;
                c2 = c0;
                c3 = c0;
                c4 = c0;
                c5 = c0;
                c6 = c0;
                c7 = c0;
                v = 0;
            }
        }
        return chunkSums[0];
    }

    static void time(String name, Loop loop, MemorySegment codes, float[] x, int vectors) {
        float[] chunkSums = new float[vectors / 2 + 8];
        int reps = 20_000;
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 30; round++) {
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) {
                sink += loop.run(codes, x, vectors, chunkSums);
            }
            best = Math.min(best, (System.nanoTime() - t0) / (double) reps / vectors);
        }
        System.out.printf("%-12s %d vectors: %.2f ns per vector of 64 codes, %.1f GB/s of codes%n", name, vectors, best, 32 / best);
    }

    public static void main(String[] args) {
        int vectors = args.length > 0 ? Integer.parseInt(args[0]) : 64; // 64: 2 KiB of codes, 16 KiB of x (a 4096-column row)
        MemorySegment codes = Arena.global().allocate(32L * vectors, 64);
        float[] x = new float[64 * vectors];
        java.util.Random random = new java.util.Random(1);
        for (int i = 0; i < 8 * vectors; i++) {
            codes.setAtIndex(ValueLayout.JAVA_INT, i, random.nextInt());
        }
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian() * 0x1p100f; // codes are subnormal floats, as NibbleLevels makes them
        }
        String form = args.length > 1 ? args[1] : "eight";
        for (int pass = 0; pass < 3; pass++) { // one form per JVM: timing both in one makes the call site megamorphic
            if (form.equals("four")) {
                time("four chains", LaneLoopProbe::fourChains, codes, x, vectors);
            } else {
                time("eight chains", LaneLoopProbe::eightChains, codes, x, vectors);
            }
        }
    }
}
