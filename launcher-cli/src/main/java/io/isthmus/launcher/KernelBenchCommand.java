package io.isthmus.launcher;

import io.isthmus.runtime.kernel.bench.KernelBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code launcher bench-kernels}: GEMV GB/s per weight type against the read bandwidth of the same run. */
@Command(name = "bench-kernels", mixinStandardHelpOptions = true,
        description = "GEMV speed of each weight format on an 11008×4096 matrix (a 7B model's up projection) vs the"
                + " measured read bandwidth.")
final class KernelBenchCommand implements Callable<Integer> {
    private static final Pattern SHAPE = Pattern.compile("([1-9][0-9]{0,6})x([1-9][0-9]{0,6})");

    @Spec
    CommandSpec spec;

    @Option(names = "--threads", description = "Compute threads (default: one per CPU this process may use).")
    Integer threads;

    @Option(names = "--formats", split = ",", paramLabel = "F,...", description = "Formats to time: GGUF type names"
            + " and packed specs (default: every GGUF type and every packed family of 'launcher formats').")
    java.util.List<String> formats;

    @Option(names = "--shape", paramLabel = "ROWSxCOLS", defaultValue = "11008x4096", description = "The matrix:"
            + " ROWS outputs of COLS inputs (default ${DEFAULT-VALUE}, a 7B model's up projection; 4096x11008 is its"
            + " down projection).")
    String shape;

    @Override
    public Integer call() {
        Matcher m = SHAPE.matcher(shape.strip());
        if (!m.matches()) {
            throw new ParameterException(spec.commandLine(),
                    "--shape must be ROWSxCOLS with two positive whole numbers, such as 4096x11008, not '" + shape + "'");
        }
        KernelBenchmark.run(System.out, threads == null ? 0 : threads, Integer.parseInt(m.group(1)),
                Integer.parseInt(m.group(2)), formats == null ? KernelBenchmark.allFormats() : formats);
        return 0;
    }
}
