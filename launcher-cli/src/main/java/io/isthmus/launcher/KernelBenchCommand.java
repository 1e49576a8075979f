package io.isthmus.launcher;

import io.isthmus.runtime.kernel.bench.KernelBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code launcher bench-kernels}: GEMV GB/s per weight type against the read bandwidth of the same run. */
@Command(name = "bench-kernels", mixinStandardHelpOptions = true,
        description = "GEMV speed of each weight format on a 4096×11008 matrix vs the measured read bandwidth.")
final class KernelBenchCommand implements Callable<Integer> {
    @Option(names = "--threads", description = "Compute threads (default: one per CPU this process may use).")
    Integer threads;

    @Option(names = "--formats", split = ",", paramLabel = "FORMAT",
            description = "Weight formats to measure, comma-separated: GGUF types (F16, Q8_0, ...) or packed "
                    + "format specs (int4-g128, nf4-g64, nf3-g64, fp6); default: all.")
    List<String> formats;

    @Override
    public Integer call() {
        KernelBenchmark.run(System.out, threads == null ? 0 : threads, 11008, 4096,
                formats == null ? KernelBenchmark.FORMATS : formats);
        return 0;
    }
}
