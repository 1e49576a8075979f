package io.isthmus.runtime.api;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.format.ModelLoader;
import io.isthmus.runtime.format.QuantizedFileWriter;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.WeightSummary;
import io.isthmus.runtime.quant.CalibrationRun;
import io.isthmus.runtime.quant.FormatTarget;
import io.isthmus.runtime.quant.InputStatistics;
import io.isthmus.runtime.quant.WeightFormats;
import io.isthmus.runtime.tokenizer.Tokenizer;
import io.isthmus.runtime.tokenizer.TokenizerSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Quantizes a model into an Isthmus quantized file ({@code launcher quantize}): loads the source,
 * optionally runs calibration text through it to collect the inputs' statistics, converts every
 * weight matrix ({@link WeightFormats}) and writes the result with the model's config and tokenizer,
 * so that it loads and runs without the source.
 */
public final class ModelQuantizer {

    /**
     * What to quantize and how.
     *
     * @param model             source model (file or folder; not a yaml)
     * @param tokenizer         tokenizer file for sources that carry none (llama2.c), or null
     * @param format            target format spec
     * @param calibrationText   UTF-8 text to calibrate on, or null for none
     * @param calibrationTokens most tokens of it to run
     * @param threads           compute threads for calibration (0: one per CPU this process may use)
     * @param out               the file to write ({@code .safetensors})
     */
    public record Request(Path model, Path tokenizer, FormatSpec format, Path calibrationText, int calibrationTokens,
                          int threads, Path out) {
    }

    /** What was written. */
    public record Result(Path out, long fileBytes, WeightSummary weights, long calibrationTokens) {
    }

    /** Told as the work goes: a stage starts with {@code total} steps, then each step is done. */
    public interface Listener {
        void stage(String name, int total);

        void step(int done, String detail);
    }

    /** Calibration rows kept per matrix for the families' output-error searches. */
    static final int SAMPLE_ROWS = 128;
    /** Calibration window, capped by the model's context. */
    static final int CALIBRATION_WINDOW = 512;

    private ModelQuantizer() {
    }

    public static Result quantize(Request r, Listener listener) {
        FormatTarget.of(r.format()); // an unknown format fails before the model is read
        String calibration = r.calibrationText() == null ? null : readText(r.calibrationText());
        if (!r.out().getFileName().toString().endsWith(".safetensors")) {
            throw new IllegalArgumentException("--out " + r.out() + ": the file name must end in .safetensors");
        }
        ModelWeights source = ModelLoader.load(r.model());
        ModelWeights converted = null; // owns source once made
        try {
            TokenizerSource tokenizerSource = ModelTokenizer.source(r.model(), r.tokenizer());
            Tokenizer tokenizer = ModelTokenizer.load(tokenizerSource, r.model(), r.tokenizer(), source.config().vocabSize());
            InputStatistics stats = null;
            if (calibration != null) {
                try (ComputePool pool = r.threads() > 0 ? new ComputePool(r.threads()) : new ComputePool()) {
                    int window = Math.min(CALIBRATION_WINDOW, source.config().contextLength());
                    listener.stage("calibrate", Math.ceilDiv(Math.max(1, r.calibrationTokens()), window));
                    stats = CalibrationRun.collect(source, tokenizer, calibration, r.calibrationTokens(), window,
                            SAMPLE_ROWS, pool, (done, total) -> listener.step(done, null));
                }
            }
            listener.stage("quantize", source.packed().size() + (int) source.tensors().values().stream()
                    .filter(ModelWeights::isMatrix).count());
            converted = WeightFormats.convert(source, r.format(), stats, (done, total, name) -> listener.step(done, name));
            QuantizedFileWriter writer = new QuantizedFileWriter(converted)
                    .metadata("isthmus.source", r.model().toAbsolutePath().normalize().toString())
                    .metadata("isthmus.calibration", stats == null ? "none"
                            : r.calibrationText().toAbsolutePath().normalize() + " (" + stats.tokens() + " tokens)");
            ModelTokenizer.store(writer, tokenizerSource);
            writer.write(r.out());
            return new Result(r.out(), Files.size(r.out()), WeightSummary.of(converted), stats == null ? 0 : stats.tokens());
        } catch (IOException e) {
            throw new IllegalStateException(r.out() + ": " + e.getMessage(), e);
        } finally {
            if (converted != null) {
                converted.close();
            } else {
                source.close();
            }
        }
    }

    private static String readText(Path file) {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": calibration text not found");
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read calibration text: " + e.getMessage(), e);
        }
    }
}
