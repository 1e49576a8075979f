package io.isthmus.launcher;

import io.isthmus.launcher.bench.BenchReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code launcher bench-chart DIR}: draws the charts of a finished {@code bench} from its
 * bench.json, for results taken on a machine that could not draw them (no fonts, or a JDK image
 * without java.desktop).
 */
@Command(name = "bench-chart", mixinStandardHelpOptions = true,
        description = "Draw the charts of a bench run from its bench.json (for runs on machines without fonts).")
final class BenchChartCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Parameters(paramLabel = "DIR", description = "A bench --out folder holding bench.json.")
    Path dir;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the charts go (default: DIR itself).")
    Path out;

    @Override
    public Integer call() throws IOException {
        BenchReport report = BenchReport.read(dir.resolve("bench.json"));
        Path target = out != null ? out : dir;
        Files.createDirectories(target);
        PrintWriter w = command.commandLine().getOut();
        for (Path p : report.writeCharts(target)) {
            w.println("wrote " + p);
        }
        w.flush();
        return 0;
    }

    /**
     * Draws the charts of {@code report} into {@code dir} and returns "wrote ..." lines; where this
     * machine cannot draw them, removes what was half-written, warns once on {@code err} and returns
     * nothing, so the tables of a long run are kept and the run still succeeds.
     */
    static String charts(BenchReport report, Path dir, PrintWriter err) throws IOException {
        try {
            StringBuilder b = new StringBuilder();
            for (Path p : report.writeCharts(dir)) {
                b.append("wrote ").append(p).append('\n');
            }
            return b.toString();
        } catch (RuntimeException | LinkageError e) { // AWT without fonts or without java.desktop
            BenchReport.deleteCharts(dir);
            err.println("isthmus: warning: no charts drawn here (" + e + "); the tables are written; draw them"
                    + " elsewhere with: launcher bench-chart " + dir);
            err.flush();
            return "";
        }
    }
}
