package io.isthmus.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** synth writes a tiny model; bench on it over 1 and 2 ranks (a worker JVM) writes CSV, JSON, Markdown and charts. */
class BenchCommandTest {

    @Test
    void synthThenBenchWritesEveryFile(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("tiny.gguf");
        BadInputTest.Outcome s = BadInputTest.run("synth", "--config", "tiny", "--format", "q4_0", "--out", model.toString());
        assertEquals(0, s.code(), s.err());
        assertTrue(s.out().contains("wrote " + model), s.out());

        Path out = dir.resolve("results");
        BadInputTest.Outcome b = BadInputTest.run("--bind-core-list", "0-1", model.toString(), "bench",
                "--input-tokens", "4,9", "--output-tokens", "3", "--beams", "1,2", "--batch", "1,2", "--ranks", "1,2",
                "--repeat", "2", "--threads", "1", "--out", out.toString());
        assertEquals(0, b.code(), b.err());
        for (String f : List.of("bench.csv", "bench.json", "bench.md", "bench.png", "prompt-latency.svg",
                "token-latency.svg", "prompt-speedup.svg", "token-speedup.svg")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        List<String> csv = Files.readAllLines(out.resolve("bench.csv"));
        assertEquals(1 + 2 * 2 * 2 * 2, csv.size(), "a header and a row per point: " + csv);
        assertTrue(csv.get(1).startsWith("1,4,3,1,1,2,"), csv.get(1));
        JsonNode json = new ObjectMapper().readTree(out.resolve("bench.json").toFile());
        assertEquals(16, json.get("points").size());
        JsonNode last = json.get("points").get(15);
        assertEquals(2, last.get("ranks").asInt());
        assertEquals(2, last.get("runs").size());
        assertTrue(last.get("per_token_ms_median").asDouble() > 0);
        assertTrue(Files.readString(out.resolve("bench.md")).contains("| 2 | 9 | 3 | 2 | 2 | 2 |"));
        assertTrue(Files.readString(out.resolve("token-latency.svg")).contains("<svg"));

        // the charts again, elsewhere, from bench.json alone (as for runs on machines without fonts)
        Path charts = dir.resolve("charts");
        BadInputTest.Outcome c = BadInputTest.run("bench-chart", out.toString(), "--out", charts.toString());
        assertEquals(0, c.code(), c.err());
        assertTrue(Files.size(charts.resolve("bench.png")) > 0);
        assertTrue(Files.readString(charts.resolve("token-speedup.svg")).contains("<svg"));
    }

    @Test
    void benchChartNamesAMissingOrForeignFile(@TempDir Path dir) throws Exception {
        BadInputTest.assertOneLineError(BadInputTest.run("bench-chart", dir.toString()), "bench.json: no such bench result");
        Files.writeString(dir.resolve("bench.json"), "{\"about\": {}}");
        BadInputTest.assertOneLineError(BadInputTest.run("bench-chart", dir.toString()), "not a bench.json (no 'points' list)");
    }

    @Test
    void badBenchArguments(@TempDir Path dir) {
        BadInputTest.Outcome o = BadInputTest.run(BadInputTest.MODEL.toString(), "bench", "--output-tokens", "1");
        BadInputTest.assertOneLineError(o, "--output-tokens must be at least 2");
        o = BadInputTest.run(BadInputTest.MODEL.toString(), "bench", "--beams", "0");
        BadInputTest.assertOneLineError(o, "positive numbers");
        o = BadInputTest.run(BadInputTest.MODEL.toString(), "bench", "--input-tokens", "4000", "--output-tokens", "32",
                "--ranks", "1", "--out", dir.toString(), "--warm-up-ms", "0");
        BadInputTest.assertOneLineError(o, "exceed the model's context");
        o = BadInputTest.run("synth", "--config", "llama3", "--out", dir.resolve("x.gguf").toString());
        BadInputTest.assertOneLineError(o, "unknown synthetic model 'llama3'");
    }
}
