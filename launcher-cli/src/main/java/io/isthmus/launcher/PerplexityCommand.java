package io.isthmus.launcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isthmus.runtime.api.Engine;
import io.isthmus.runtime.config.ModelSpec;
import io.isthmus.runtime.eval.PerplexityResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code launcher MODEL perplexity --text FILE [--ctx N] [--json]}: llama.cpp's perplexity
 * ({@code llama-perplexity -f FILE -c N}) of the model on a text file.
 */
@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = "Perplexity of the model on a text file, by llama.cpp's method (windows of --ctx tokens,"
                + " BOS first, the second half of each window scored).")
final class PerplexityCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec command;

    @Mixin
    ModelOptions model;

    @Mixin
    LaunchMixin launch;

    @Option(names = "--text", required = true, paramLabel = "FILE", description = "UTF-8 text to score.")
    Path text;

    @Option(names = "--chunks", paramLabel = "N",
            description = "Score only the first N windows, as llama-perplexity --chunks (default: all).")
    int chunks;

    @Option(names = "--json", description = "Print one JSON object {ppl, tokens, ctx, format, ...} at the end.")
    boolean json;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = command.commandLine().getOut();
        ModelSpec spec = model.spec();
        if (launch.runInstead(spec, out, command.commandLine().getErr())) {
            return 0;
        }
        if (chunks < 0) {
            throw new IllegalArgumentException("--chunks must be at least 1 (or left out for all windows), not " + chunks);
        }
        String content = read(text);
        try (Engine engine = Engine.open(spec, launch.apply(spec, model.engineOptions()))) {
            int ctx = model.context != null ? model.context : engine.config().contextLength();
            PerplexityResult r;
            try (Progress bar = Progress.of("perplexity", 1, "windows")) {
                r = engine.perplexity(content, ctx, chunks, (done, total, ppl) -> {
                    bar.setTotal(total);
                    bar.stepTo(done, String.format(Locale.ROOT, "ppl %.4f", ppl));
                });
            }
            String format = engine.weightSummary().formats();
            if (json) {
                ObjectNode o = JSON.createObjectNode();
                o.put("ppl", r.perplexity());
                o.put("tokens", r.scoredTokens());
                o.put("ctx", r.ctx());
                o.put("format", format);
                o.put("chunks", r.chunks());
                o.put("text_tokens", r.textTokens());
                o.put("mean_nll", r.meanNll());
                o.put("bits_per_weight", engine.weightSummary().bitsPerWeight());
                out.println(JSON.writeValueAsString(o));
            } else {
                out.printf(Locale.ROOT, "perplexity %.4f (mean NLL %.5f nats) over %d scored tokens: %d windows of %d"
                                + " tokens from %d text tokens; weights %s, %.2f bits per weight%n",
                        r.perplexity(), r.meanNll(), r.scoredTokens(), r.chunks(), r.ctx(), r.textTokens(), format,
                        engine.weightSummary().bitsPerWeight());
            }
            out.flush();
        }
        return 0;
    }

    private static String read(Path file) throws IOException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": text file not found");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new IllegalArgumentException(file + ": not valid UTF-8 text");
        }
    }
}
