package io.isthmus.launcher.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Beam search against greedy decoding: the median of per-round ratios, in every table the bench writes. */
class BenchReportTest {

    private static LatencyPoint point(int ranks, int in, int beams, double... perTokenMs) {
        double[] prompt = new double[perTokenMs.length];
        java.util.Arrays.fill(prompt, 10);
        return new LatencyPoint(ranks, in, 8, beams, 1, prompt, perTokenMs);
    }

    @Test
    void beamAgainstGreedyIsTheMedianOfEachRoundsRatio() {
        // round 2 ran on a slow host for both: its ratio is 1.25 although both of its runs are slow
        LatencyPoint greedy = point(1, 32, 1, 2.0, 4.0, 2.0);
        LatencyPoint beam = point(1, 32, 4, 3.0, 5.0, 2.8); // ratios 1.5, 1.25, 1.4
        LatencyPoint beamOnly = point(1, 64, 4, 3.0, 3.0, 3.0); // no greedy point at 64 prompt tokens
        LatencyPoint otherRanks = point(2, 32, 4, 1.0, 1.0, 1.0); // no greedy point on 2 ranks
        BenchReport report = new BenchReport(List.of(greedy, beam, beamOnly, otherRanks), Map.of());

        assertEquals(1.4, report.perTokenVsGreedy(beam), 1e-12);
        assertEquals(1.5, beam.perTokenMedian() / greedy.perTokenMedian(), 1e-12, "what the ratio of medians says");
        assertEquals(1.0, report.perTokenVsGreedy(greedy), 1e-12);
        assertTrue(Double.isNaN(report.perTokenVsGreedy(beamOnly)));
        assertTrue(Double.isNaN(report.perTokenVsGreedy(otherRanks)));

        String[] md = report.markdown().strip().split("\n"); // no "about" lines here: header, rule, rows
        assertTrue(md[0].endsWith("| ms/token ÷ greedy (median of rounds) |"), md[0]);
        assertTrue(md[2].endsWith("| 1.00× |"), md[2]);
        assertTrue(md[3].endsWith("| 1.40× |"), md[3]);
        assertTrue(md[4].endsWith("| — |"), md[4]);

        String[] csv = report.csv().split("\n");
        assertTrue(csv[0].endsWith(",per_token_vs_greedy"), csv[0]);
        assertTrue(csv[2].endsWith(",1.400"), csv[2]);
        assertTrue(csv[3].endsWith(","), csv[3]);

        JsonNode points = report.json().get("points");
        assertEquals(1.4, points.get(1).get("per_token_vs_greedy").asDouble(), 1e-12);
        assertFalse(points.get(2).has("per_token_vs_greedy"));
    }
}
