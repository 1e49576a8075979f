package io.isthmus.launcher.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A finished latency bench: its points, their speed-ups over the fewest ranks, each beam search's
 * per-token latency against greedy decoding's, and the files it writes: bench.csv, bench.json (runs
 * included), bench.md (a Markdown table) and the charts.
 *
 * @param about what was measured where (model, machine, command), written into the JSON and Markdown
 */
public record BenchReport(List<LatencyPoint> points, Map<String, String> about) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public BenchReport {
        points = List.copyOf(points);
        about = Map.copyOf(about);
    }

    /** The point of the same case on the fewest ranks measured (itself when that is its own). */
    LatencyPoint baseline(LatencyPoint p) {
        LatencyPoint base = p;
        for (LatencyPoint q : points) {
            if (q.sameCase(p) && q.ranks() < base.ranks()) {
                base = q;
            }
        }
        return base;
    }

    /** Median prompt latency on the baseline's ranks ÷ on p's. */
    public double promptSpeedup(LatencyPoint p) {
        return baseline(p).promptMedian() / p.promptMedian();
    }

    public double perTokenSpeedup(LatencyPoint p) {
        return baseline(p).perTokenMedian() / p.perTokenMedian();
    }

    /** The beams-1 point of p's case on p's ranks (same prompt, output and batch), or null when the bench had none. */
    LatencyPoint greedy(LatencyPoint p) {
        for (LatencyPoint q : points) {
            if (q.beams() == 1 && q.ranks() == p.ranks() && q.inputTokens() == p.inputTokens()
                    && q.outputTokens() == p.outputTokens() && q.batch() == p.batch()) {
                return q;
            }
        }
        return null;
    }

    /**
     * p's per-token latency ÷ greedy decoding's ({@link #greedy}): the median over rounds of the
     * ratio of the two points' runs in that round. The bench runs the points round by round, a
     * case's beam widths back to back, so a host whose speed drifts between rounds moves both runs
     * of a ratio alike; the ratio of the two medians would take them from different rounds. NaN
     * when the bench had no greedy point for p.
     */
    public double perTokenVsGreedy(LatencyPoint p) {
        LatencyPoint g = greedy(p);
        if (g == null || g.runs() != p.runs()) {
            return Double.NaN;
        }
        double[] ratios = new double[p.runs()];
        for (int r = 0; r < ratios.length; r++) {
            ratios[r] = p.perTokenMs()[r] / g.perTokenMs()[r];
        }
        return Percentiles.median(ratios);
    }

    /** Writes bench.csv, bench.json and bench.md into {@code dir}; returns the files. */
    public List<Path> writeTables(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> files = new ArrayList<>();
        files.add(Files.writeString(dir.resolve("bench.csv"), csv()));
        files.add(Files.writeString(dir.resolve("bench.json"), JSON.writeValueAsString(json())));
        files.add(Files.writeString(dir.resolve("bench.md"), markdown()));
        return files;
    }

    /**
     * Draws the charts into {@code dir} (bench.png and one SVG per panel); returns the files. Needs
     * AWT with fonts: on a machine without them (a jlink'ed JDK without java.desktop, no
     * fontconfig) this throws, and {@code launcher bench-chart DIR} draws them elsewhere from bench.json.
     */
    public List<Path> writeCharts(Path dir) throws IOException {
        return BenchCharts.write(this, dir);
    }

    /** Removes what a failed {@link #writeCharts} may have left half-written in {@code dir}. */
    public static void deleteCharts(Path dir) throws IOException {
        for (Path p : BenchCharts.files(dir)) {
            Files.deleteIfExists(p);
        }
    }

    /** A report read back from the bench.json {@link #writeTables} wrote. */
    public static BenchReport read(Path json) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(json.toFile());
        } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException(json + ": no such bench result");
        }
        if (root == null || !root.path("points").isArray()) {
            throw new IllegalArgumentException(json + ": not a bench.json (no 'points' list)");
        }
        Map<String, String> about = new LinkedHashMap<>();
        root.path("about").properties().forEach(e -> about.put(e.getKey(), e.getValue().asText()));
        List<LatencyPoint> points = new ArrayList<>();
        for (JsonNode p : root.path("points")) {
            JsonNode runs = p.path("runs");
            double[] prompt = new double[runs.size()];
            double[] perToken = new double[runs.size()];
            for (int r = 0; r < runs.size(); r++) {
                prompt[r] = number(json, runs.get(r), "prompt_ms");
                perToken[r] = number(json, runs.get(r), "per_token_ms");
            }
            points.add(new LatencyPoint((int) number(json, p, "ranks"), (int) number(json, p, "input_tokens"),
                    (int) number(json, p, "output_tokens"), (int) number(json, p, "beams"),
                    p.has("batch") ? p.get("batch").asInt() : 1, prompt, perToken));
        }
        return new BenchReport(points, about);
    }

    private static double number(Path file, JsonNode o, String key) {
        JsonNode v = o.get(key);
        if (v == null || !v.isNumber()) {
            throw new IllegalArgumentException(file + ": a point has no number '" + key + "'");
        }
        return v.asDouble();
    }

    String csv() {
        StringBuilder b = new StringBuilder("ranks,input_tokens,output_tokens,beams,batch,runs,prompt_ms_median,prompt_ms_p90,"
                + "per_token_ms_median,per_token_ms_p90,prompt_speedup,per_token_speedup,per_token_vs_greedy\n");
        for (LatencyPoint p : points) {
            double vsGreedy = perTokenVsGreedy(p);
            b.append(String.format(Locale.ROOT, "%d,%d,%d,%d,%d,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%s%n", p.ranks(),
                    p.inputTokens(), p.outputTokens(), p.beams(), p.batch(), p.runs(), p.promptMedian(), p.promptP90(),
                    p.perTokenMedian(), p.perTokenP90(), promptSpeedup(p), perTokenSpeedup(p),
                    Double.isNaN(vsGreedy) ? "" : String.format(Locale.ROOT, "%.3f", vsGreedy)));
        }
        return b.toString();
    }

    ObjectNode json() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode a = root.putObject("about");
        about.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> a.put(e.getKey(), e.getValue()));
        ArrayNode list = root.putArray("points");
        for (LatencyPoint p : points) {
            ObjectNode o = list.addObject();
            o.put("ranks", p.ranks());
            o.put("input_tokens", p.inputTokens());
            o.put("output_tokens", p.outputTokens());
            o.put("beams", p.beams());
            o.put("batch", p.batch());
            o.put("prompt_ms_median", round(p.promptMedian()));
            o.put("prompt_ms_p90", round(p.promptP90()));
            o.put("per_token_ms_median", round(p.perTokenMedian()));
            o.put("per_token_ms_p90", round(p.perTokenP90()));
            o.put("prompt_speedup", round(promptSpeedup(p)));
            o.put("per_token_speedup", round(perTokenSpeedup(p)));
            double vsGreedy = perTokenVsGreedy(p);
            if (!Double.isNaN(vsGreedy)) {
                o.put("per_token_vs_greedy", round(vsGreedy));
            }
            ArrayNode runs = o.putArray("runs");
            for (int r = 0; r < p.runs(); r++) {
                runs.addObject().put("prompt_ms", round(p.promptMs()[r])).put("per_token_ms", round(p.perTokenMs()[r]));
            }
        }
        return root;
    }

    String markdown() {
        StringBuilder b = new StringBuilder();
        about.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> b.append("- ").append(e.getKey()).append(": ").append(e.getValue()).append('\n'));
        b.append('\n');
        b.append("| ranks | in | out | beams | batch | runs | prompt ms (median) | prompt ms (p90) | ms/token (median) "
                + "| ms/token (p90) | prompt speed-up | per-token speed-up | ms/token ÷ greedy (median of rounds) |\n");
        b.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (LatencyPoint p : points) {
            double vsGreedy = perTokenVsGreedy(p);
            b.append(String.format(Locale.ROOT, "| %d | %d | %d | %d | %d | %d | %.1f | %.1f | %.2f | %.2f | %.2f× | %.2f× | %s |%n",
                    p.ranks(), p.inputTokens(), p.outputTokens(), p.beams(), p.batch(), p.runs(), p.promptMedian(), p.promptP90(),
                    p.perTokenMedian(), p.perTokenP90(), promptSpeedup(p), perTokenSpeedup(p),
                    Double.isNaN(vsGreedy) ? "—" : String.format(Locale.ROOT, "%.2f×", vsGreedy)));
        }
        return b.toString();
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
