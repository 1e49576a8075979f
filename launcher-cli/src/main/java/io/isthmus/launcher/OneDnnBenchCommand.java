package io.isthmus.launcher;

import io.isthmus.runtime.onednn.OneDnnBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code launcher bench-onednn}: oneDNN's bf16/int8 matmul paths vs the Vector API kernels, and a 7B-shaped prefill. */
@Command(name = "bench-onednn", mixinStandardHelpOptions = true,
        description = "GFLOP/s of the oneDNN bf16 and int8 matmul paths next to the Vector API kernels on a 7B layer's"
                + " shapes, oneDNN's 4096^3 bf16 figure, and the prefill of a 7B-shaped layer stack.")
final class OneDnnBenchCommand implements Callable<Integer> {
    @Option(names = "--threads", description = "Compute threads (default: one per CPU this process may use).")
    Integer threads;

    @Option(names = "--k", defaultValue = "4096", description = "Input size K (default ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--n", defaultValue = "4096,11008", description = "Output sizes N (default ${DEFAULT-VALUE}).")
    String ns;

    @Option(names = "--m", defaultValue = "1,8,32,128,512,2048", description = "Rows M (default ${DEFAULT-VALUE}).")
    String ms;

    @Option(names = "--layers", defaultValue = "4", description = "Layers of the 7B-shaped stack (default ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--prompt-tokens", defaultValue = "512", description = "Prompt length of the stack prefill (default ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--seconds", defaultValue = "0.5", description = "Time per measured point after one warm-up run (default ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--vector-max-m", defaultValue = "2147483647",
            description = "Skip the Vector API kernels above this M (they are slow at large M on few cores).")
    int vectorMaxM;

    @Option(names = "--skip-table", description = "Only the 4096^3 reference and the layer-stack prefill.")
    boolean skipTable;

    @Override
    public Integer call() {
        boolean ran = OneDnnBenchmark.run(System.out, new OneDnnBenchmark.Options(threads == null ? 0 : threads, k,
                OneDnnBenchmark.parseList(ns), OneDnnBenchmark.parseList(ms), layers, promptTokens, seconds, vectorMaxM, skipTable));
        return ran ? 0 : 1;
    }
}
