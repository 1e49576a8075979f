import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.kernel.bench.KernelBenchmark;
import io.isthmus.runtime.model.Repacking;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;

/**
 * One thread's GEMVs, one after another on the calling thread (no pool), and how their times spread:
 * per 1-second window the mean, best and the 10th/50th/90th percentiles of single GEMVs, in GB/s of
 * the matrix as laid out for compute. bench-kernels reports only a median and a best; this shows
 * whether the times are one spread or two speeds (on the Zen 3 VM the same int4-g128 GEMV from L2 ran
 * at either about 11 or about 6.5 GB/s, switching over fractions of a second). With {@code copies}
 * matrices rotated, {@code rows × copies} large enough reads DRAM; 176 rows of one copy stay in L2.
 * Run from the repository root after {@code mvn package}:
 * {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED
 * -cp "runtime/target/classes:launcher-cli/target/lib/*" examples/bench/probes/GemvSpread.java
 * FORMAT ROWS COPIES SECONDS [COLS]} (FORMAT: as bench-kernels takes it, a GGUF type or a packed spec such as
 * int4-g128; COLS 4096 unless given).
 */
public class GemvSpread {

    public static void main(String[] args) {
        if (args.length != 4 && args.length != 5) {
            System.err.println("usage: GemvSpread FORMAT ROWS COPIES SECONDS [COLS]");
            System.exit(2);
        }
        String format = args[0];
        int rows = Integer.parseInt(args[1]), cols = args.length > 4 ? Integer.parseInt(args[4]) : 4096, copies = Integer.parseInt(args[2]);
        double seconds = Double.parseDouble(args[3]);
        Random rnd = new Random(42);
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = rnd.nextFloat() - 0.5f;
        }
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) {
            x[i] = rnd.nextFloat() - 0.5f;
        }
        float[] y = new float[rows];
        Arena arena = Arena.ofShared();
        WeightMatrix[] ws = new WeightMatrix[copies];
        for (int i = 0; i < copies; i++) {
            ws[i] = Repacking.forCompute(KernelBenchmark.makeWeights(arena, format, values, rows, cols, rnd), arena);
        }
        long bytes = ws[0].byteSize();
        System.out.println(ws[0] + ", " + bytes + " bytes, " + copies + " copies");
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long[] times = new long[1 << 20];
        for (int n = 0; System.nanoTime() < end; ) {
            long window = System.nanoTime(), sum = 0;
            int count = 0;
            while (System.nanoTime() - window < 1_000_000_000L && count < times.length) {
                long start = System.nanoTime();
                ws[n++ % copies].matmul(x, 0, 1, y, 0, 0, rows);
                times[count] = System.nanoTime() - start;
                sum += times[count++];
            }
            Arrays.sort(times, 0, count);
            System.out.printf("mean %.2f best %.2f p10 %.2f p50 %.2f p90 %.2f GB/s%n", bytes * count / (double) sum,
                    gbs(bytes, times[0]), gbs(bytes, times[count * 9 / 10]), gbs(bytes, times[count / 2]),
                    gbs(bytes, times[count / 10]));
        }
    }

    /** GB/s of {@code bytes} read in {@code nanos}; a p10 time is the p90 rate. */
    private static double gbs(long bytes, long nanos) {
        return bytes / (double) nanos;
    }
}
