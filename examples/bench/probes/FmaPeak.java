import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The FMA throughput each thread gets: ten independent 256-bit FMA chains on registers, no memory,
 * printed per half-second window (best and median, in billions of 256-bit FMAs a second). On the
 * Zen 3 VM one thread's rate moves between about 5.7 (two FMAs a cycle) and 2.1–3.2, for seconds at
 * a time, and two threads sometimes get 4.2–5.7 each and sometimes 2.4–2.8 each
 * ({@code examples/bench/results/kernels-4bit-zen3-2cpu/fma-peak.txt}). The FP throughput the VM gets
 * changes under it, which is the "two speeds" of the 4-bit GEMVs. Run from the repository root:
 * {@code java --add-modules jdk.incubator.vector examples/bench/probes/FmaPeak.java THREADS SECONDS}.
 */
public class FmaPeak {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final int ITERATIONS = 1 << 14;

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 2) {
            System.err.println("usage: FmaPeak THREADS SECONDS");
            System.exit(2);
        }
        int threads = Integer.parseInt(args[0]);
        long seconds = Long.parseLong(args[1]);
        Thread[] all = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            all[t] = new Thread(() -> run(id, seconds));
            all[t].start();
        }
        for (Thread t : all) {
            t.join();
        }
    }

    private static void run(int id, long seconds) {
        float sink = 0;
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long[] times = new long[200_000];
        while (System.nanoTime() < end) {
            int n = 0;
            long window = System.nanoTime();
            while (System.nanoTime() - window < 500_000_000L && n < times.length) {
                long start = System.nanoTime();
                sink += chains(ITERATIONS);
                times[n++] = System.nanoTime() - start;
            }
            Arrays.sort(times, 0, n);
            double fmas = 10.0 * ITERATIONS;
            System.out.printf("thread %d: best %.2f median %.2f G FMA/s%n", id, fmas / times[0], fmas / times[n / 2]);
        }
        if (sink == 42) {
            System.out.println(); // keeps the sums live
        }
    }

    /** Ten FMA chains, each {@code iterations} long: enough to cover the FMA latency on two pipes. */
    private static float chains(int iterations) {
        FloatVector k = FloatVector.broadcast(F, 0.999f), b = FloatVector.broadcast(F, 1e-3f);
        FloatVector c0 = FloatVector.broadcast(F, 1), c1 = c0.add(1), c2 = c0.add(2), c3 = c0.add(3), c4 = c0.add(4);
        FloatVector c5 = c0.add(5), c6 = c0.add(6), c7 = c0.add(7), c8 = c0.add(8), c9 = c0.add(9);
        for (int i = 0; i < iterations; i++) {
            c0 = c0.fma(k, b);
            c1 = c1.fma(k, b);
            c2 = c2.fma(k, b);
            c3 = c3.fma(k, b);
            c4 = c4.fma(k, b);
            c5 = c5.fma(k, b);
            c6 = c6.fma(k, b);
            c7 = c7.fma(k, b);
            c8 = c8.fma(k, b);
            c9 = c9.fma(k, b);
        }
        return c0.add(c1).add(c2.add(c3)).add(c4.add(c5)).add(c6.add(c7)).add(c8.add(c9)).reduceLanes(VectorOperators.ADD);
    }
}
