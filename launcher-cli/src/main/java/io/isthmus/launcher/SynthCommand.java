package io.isthmus.launcher;

import io.isthmus.runtime.synth.SyntheticModelWriter;
import io.isthmus.runtime.synth.SyntheticShape;
import io.isthmus.runtime.tensor.GgmlType;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code launcher synth --config llama2-7b --format q4_0 --out FILE}: a GGUF model of a real model's
 * shape with seeded random weights, for speed work where the real weights are not available.
 */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Write a GGUF model of a real model's shape with seeded random weights (for speed work).")
final class SynthCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Option(names = "--config", required = true, paramLabel = "NAME",
            description = "llama2-7b, llama2-13b, gptj-6b (GPT-J's sizes on the GPT-NeoX architecture) or tiny.")
    String config;

    @Option(names = "--format", defaultValue = "q8_0", description = "Weight type: f32, f16, bf16, q8_0, q4_0 (default q8_0).")
    String format;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The .gguf file to write.")
    Path file;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed (same seed, same file).")
    long seed;

    @Option(names = "--threads", description = "Threads generating and quantizing (default: one per CPU).")
    Integer threads;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = command.commandLine().getOut();
        SyntheticShape shape = SyntheticShape.named(config);
        GgmlType type = SyntheticModelWriter.type(format);
        long bytes = SyntheticModelWriter.bytes(shape, type);
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        long free = Files.getFileStore(dir).getUsableSpace();
        if (free < bytes + (64 << 20)) {
            throw new IllegalArgumentException(file + ": needs " + gb(bytes) + " GB, " + dir + " has " + gb(free)
                    + " GB free");
        }
        int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        out.printf(Locale.ROOT, "%s: %s as %s, %.2f billion weights, %s GB, seed %d%n", file, shape.name(),
                format.toLowerCase(Locale.ROOT), shape.parameters() / 1e9, gb(bytes), seed);
        out.flush();
        try (ProgressBar bar = new ProgressBarBuilder().setTaskName("synth " + shape.name()).setInitialMax(bytes >> 20)
                .setUnit(" MiB", 1).setStyle(ProgressBarStyle.ASCII).continuousUpdate().build()) {
            long[] done = {0};
            SyntheticModelWriter.write(shape, type, seed, file, n, b -> {
                synchronized (done) {
                    done[0] += b;
                    bar.stepTo(done[0] >> 20);
                }
            });
        }
        out.printf(Locale.ROOT, "wrote %s (%s GB)%n", file, gb(Files.size(file)));
        return 0;
    }

    private static String gb(long bytes) {
        return String.format(Locale.ROOT, "%.2f", bytes / 1e9);
    }
}
