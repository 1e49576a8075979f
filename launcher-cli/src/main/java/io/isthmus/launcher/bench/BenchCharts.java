package io.isthmus.launcher.bench;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Charts of a bench against rank count (XChart): prompt latency, per-token latency and the speed-up
 * of each over the fewest ranks, one line per (prompt length, beam width), medians with the ideal
 * speed-up drawn for reference. One PNG with the four panels, and each panel as SVG.
 */
final class BenchCharts {
    private static final int WIDTH = 640, HEIGHT = 440;

    private BenchCharts() {
    }

    static List<Path> write(BenchReport report, Path dir) throws IOException {
        List<XYChart> charts = List.of(
                chart(report, "Prompt latency", "ms (median)", LatencyPoint::promptMedian, false),
                chart(report, "Per-token latency (2nd+ tokens)", "ms/token (median)", LatencyPoint::perTokenMedian, false),
                chart(report, "Prompt speed-up", "× fewest ranks", report::promptSpeedup, true),
                chart(report, "Per-token speed-up", "× fewest ranks", report::perTokenSpeedup, true));
        List<Path> files = files(dir);
        BitmapEncoder.saveBitmap(charts, 2, 2, files.getFirst().toString(), BitmapEncoder.BitmapFormat.PNG);
        for (int i = 0; i < charts.size(); i++) {
            VectorGraphicsEncoder.saveVectorGraphic(charts.get(i), files.get(i + 1).toString(),
                    VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        }
        return files;
    }

    /** The files {@link #write} writes into {@code dir}: bench.png, then one SVG per panel. */
    static List<Path> files(Path dir) {
        List<Path> files = new ArrayList<>();
        files.add(dir.resolve("bench.png"));
        for (String panel : new String[] {"prompt-latency", "token-latency", "prompt-speedup", "token-speedup"}) {
            files.add(dir.resolve(panel + ".svg"));
        }
        return files;
    }

    private static XYChart chart(BenchReport report, String title, String yTitle, ToDoubleFunction<LatencyPoint> y,
                                 boolean speedup) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("ranks").yAxisTitle(yTitle)
                .build();
        c.getStyler().setXAxisDecimalPattern("0").setLegendVisible(true).setMarkerSize(7)
                .setChartBackgroundColor(java.awt.Color.WHITE);
        Map<String, List<LatencyPoint>> cases = new LinkedHashMap<>();
        for (LatencyPoint p : report.points()) {
            cases.computeIfAbsent(p.caseLabel(), k -> new ArrayList<>()).add(p);
        }
        double maxRanks = 1;
        for (Map.Entry<String, List<LatencyPoint>> e : cases.entrySet()) {
            List<LatencyPoint> ps = e.getValue();
            double[] xs = new double[ps.size()];
            double[] ys = new double[ps.size()];
            for (int i = 0; i < ps.size(); i++) {
                xs[i] = ps.get(i).ranks();
                ys[i] = y.applyAsDouble(ps.get(i));
                maxRanks = Math.max(maxRanks, xs[i]);
            }
            c.addSeries(e.getKey(), xs, ys).setMarker(SeriesMarkers.CIRCLE);
        }
        if (speedup) {
            double min = report.points().stream().mapToInt(LatencyPoint::ranks).min().orElse(1);
            XYSeries ideal = c.addSeries("ideal", new double[] {min, maxRanks}, new double[] {1, maxRanks / min});
            ideal.setMarker(SeriesMarkers.NONE).setLineColor(java.awt.Color.GRAY);
        }
        return c;
    }
}
