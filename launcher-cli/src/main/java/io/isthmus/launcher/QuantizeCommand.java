package io.isthmus.launcher;

import io.isthmus.runtime.api.ModelQuantizer;
import io.isthmus.runtime.config.FormatSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.concurrent.Callable;

/**
 * {@code launcher quantize --model SRC --format F [--group G] [--sparse P] [--calib TEXT] --out FILE}:
 * writes a quantized model file that loads and runs without its source.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Quantize a model into a self-contained .safetensors file (weights, config, tokenizer)."
                + " Formats: see 'launcher formats'.")
final class QuantizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Option(names = "--model", required = true, paramLabel = "SRC",
            description = "Source model: a GGUF file, llama2.c .bin, Hugging Face folder or quantized file.")
    Path model;

    @Option(names = "--format", required = true, paramLabel = "F",
            description = "Format spec NAME[-gG][+sparse[P]], e.g. q8_0, int4-g128, nf4-g64, lut3+sparse0.45.")
    String format;

    @Option(names = "--group", paramLabel = "G", description = "Group size (the same as -gG in the spec).")
    Integer group;

    @Option(names = "--sparse", paramLabel = "P", description = "Keep P percent of the weights as exact sparse"
            + " outliers (the same as +sparseP in the spec).")
    Double sparse;

    @Option(names = "--calib", paramLabel = "TEXT", description = "Calibration text: the model runs over it to weigh"
            + " each input column by its diagonal of XᵀX (a second-moment sensitivity proxy).")
    Path calibration;

    @Option(names = "--calib-tokens", defaultValue = "4096", paramLabel = "N",
            description = "Most calibration tokens to run (default 4096).")
    int calibrationTokens;

    @Option(names = "--tokenizer", description = "Tokenizer file for sources that carry none (llama2.c tokenizer.bin).")
    Path tokenizer;

    @Option(names = "--threads", description = "Compute threads for calibration (default: one per CPU).")
    Integer threads;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output file (.safetensors).")
    Path out;

    @Override
    public Integer call() {
        PrintWriter w = command.commandLine().getOut();
        FormatSpec spec = spec();
        if (calibrationTokens <= 0) {
            throw new IllegalArgumentException("--calib-tokens must be positive, got " + calibrationTokens);
        }
        ModelQuantizer.Result r;
        try (StageBars bars = new StageBars()) {
            r = ModelQuantizer.quantize(new ModelQuantizer.Request(model, tokenizer, spec, calibration, calibrationTokens,
                    threads == null ? 0 : threads, out), bars);
        }
        w.printf(Locale.ROOT, "wrote %s: %.1f MB; weights %s, %.2f bits per weight%s%n", r.out(), r.fileBytes() / 1e6,
                r.weights().formats(), r.weights().bitsPerWeight(),
                r.calibrationTokens() > 0 ? "; calibrated on " + r.calibrationTokens() + " tokens" : "");
        w.flush();
        return 0;
    }

    /** One progress bar per stage (calibrate, quantize). */
    private static final class StageBars implements ModelQuantizer.Listener, AutoCloseable {
        private Progress bar;

        @Override
        public void stage(String name, int total) {
            close();
            bar = Progress.of(name, total, name.equals("calibrate") ? "windows" : "matrices");
        }

        @Override
        public void step(int done, String detail) {
            bar.stepTo(done, detail);
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
                bar = null;
            }
        }
    }

    /** --format with --group and --sparse folded in; a conflict between them is an error. */
    FormatSpec spec() {
        FormatSpec base = FormatSpec.parse(format);
        OptionalInt g = base.groupSize();
        if (group != null) {
            if (g.isPresent() && g.getAsInt() != group) {
                throw new IllegalArgumentException("--group " + group + " conflicts with the group size of --format " + format);
            }
            g = OptionalInt.of(group);
        }
        OptionalDouble p = base.sparsePercent();
        if (sparse != null) {
            if (p.isPresent() && p.getAsDouble() != sparse) {
                throw new IllegalArgumentException("--sparse " + sparse + " conflicts with the sparse percent of --format " + format);
            }
            p = OptionalDouble.of(sparse);
        }
        try {
            return new FormatSpec(base.name(), g, base.sparse() || sparse != null, p);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--format " + format + ": " + e.getMessage(), e);
        }
    }
}
