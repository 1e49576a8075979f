package io.isthmus.launcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isthmus.runtime.api.Engine;
import io.isthmus.runtime.api.GenerationRequest;
import io.isthmus.runtime.api.GenerationResult;
import io.isthmus.runtime.config.ModelSpec;
import io.isthmus.runtime.generate.BeamParams;
import io.isthmus.runtime.generate.GenerationTimings;
import io.isthmus.runtime.generate.SamplingParams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code launcher MODEL [generate] --prompt TEXT ...}: streams the continuation, or prints one JSON object. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate a continuation of a prompt.")
final class GenerateCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec command;

    @Mixin
    ModelOptions model;

    @Mixin
    LaunchMixin launch;

    @Option(names = "--prompt", description = "The prompt text (required unless --dry-run).")
    String prompt;

    @Option(names = "--max-tokens", description = "Most new tokens (default: the yaml's max_new_tokens, else 128).")
    Integer maxTokens;

    @Option(names = "--temperature", description = "0 = greedy (default: the yaml's, else 0).")
    Double temperature;

    @Option(names = "--top-p", description = "Nucleus sampling threshold, 1 = off.")
    Double topP;

    @Option(names = "--top-k", description = "Keep the K most likely tokens, 0 = off.")
    Integer topK;

    @Option(names = "--min-p", description = "Drop tokens below min-p × the top probability, 0 = off.")
    Double minP;

    @Option(names = "--repeat-penalty", description = "Repetition penalty over the last 64 tokens, 1 = off.")
    Double repeatPenalty;

    @Option(names = "--seed", description = "Random seed for sampling (same seed, same output).")
    Long seed;

    @Option(names = "--beams", description = "Beam search of this width (default: the yaml's beams, else 1 = sample);"
            + " the best sequence is printed when the search ends.")
    Integer beams;

    @Option(names = "--length-penalty", description = "Beam search: scores are log-probability / length^P (default 1).")
    Double lengthPenalty;

    @Option(names = "--early-stopping", description = "Beam search: stop once B sequences have finished.")
    Boolean earlyStopping;

    @Option(names = "--json", description = "Print one JSON object at the end instead of streaming text.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = command.commandLine().getOut();
        ModelSpec spec = model.spec();
        if (launch.runInstead(spec, out, command.commandLine().getErr())) {
            return 0;
        }
        if (prompt == null) {
            throw new picocli.CommandLine.ParameterException(command.commandLine(), "Missing required option: '--prompt=<prompt>'");
        }
        if (spec.server().isPresent()) {
            command.commandLine().getErr().println("isthmus: warning: 'server' in " + spec.source().orElse(spec.model())
                    + " is ignored: HTTP serving is not in this build yet");
        }
        SamplingParams p = spec.generation().sampling();
        if (temperature != null) {
            p = p.withTemperature(temperature);
        }
        if (topP != null) {
            p = p.withTopP(topP);
        }
        if (topK != null) {
            p = p.withTopK(topK);
        }
        if (minP != null) {
            p = p.withMinP(minP);
        }
        if (repeatPenalty != null) {
            p = p.withRepetitionPenalty(repeatPenalty);
        }
        if (seed != null) {
            p = p.withSeed(seed);
        }
        int max = maxTokens != null ? maxTokens : spec.generation().maxNewTokens();
        BeamParams b = spec.generation().beams();
        if (beams != null) {
            b = new BeamParams(beams, b.lengthPenalty(), b.earlyStopping());
        }
        if (lengthPenalty != null) {
            b = b.withLengthPenalty(lengthPenalty);
        }
        if (earlyStopping != null) {
            b = b.withEarlyStopping(earlyStopping);
        }
        GenerationRequest request = new GenerationRequest(prompt, max, p, false).withBeams(b);
        try (Engine engine = Engine.open(spec, launch.apply(spec, model.engineOptions()))) {
            GenerationResult r;
            if (json) {
                r = engine.generate(request);
                out.println(JSON.writeValueAsString(toJson(r, engine.loadMs())));
            } else {
                out.print(prompt);
                out.flush();
                r = engine.generate(request, t -> {
                    out.print(t.text());
                    out.flush();
                });
                out.println();
            }
            out.flush();
        }
        return 0;
    }

    static ObjectNode toJson(GenerationResult r, double loadMs) {
        ObjectNode root = JSON.createObjectNode();
        root.put("text", r.text());
        root.set("token_ids", JSON.valueToTree(r.tokenIds()));
        root.set("prompt_token_ids", JSON.valueToTree(r.promptTokenIds()));
        root.put("world_size", r.worldSize());
        root.put("stop_reason", r.stopReason().name().toLowerCase(java.util.Locale.ROOT));
        if (!Double.isNaN(r.score())) {
            root.put("beam_score", r.score());
        }
        GenerationTimings t = r.timings();
        ObjectNode timings = root.putObject("timings");
        timings.put("load_ms", round(loadMs));
        timings.put("prompt_ms", round(t.promptMs()));
        timings.put("prompt_tokens_per_s", round(t.promptTokensPerSecond()));
        timings.put("per_token_ms", round(t.perTokenMs()));
        timings.put("tokens_per_s", round(t.tokensPerSecond()));
        return root;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
