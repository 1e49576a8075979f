package io.isthmus.launcher;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.quant.FormatTarget;
import io.isthmus.runtime.quant.PackedFormats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code launcher formats}: the weight formats this build converts to ({@code format:} in model.yaml,
 * {@code quantize --format}), with each packed family's default spec and its +sparse variant if it has one.
 */
@Command(name = "formats", mixinStandardHelpOptions = true,
        description = "List the weight formats this build can convert to (model.yaml 'format:', quantize --format).")
final class FormatsCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Option(names = "--specs", description = "Print only the default spec strings, one per line (for scripts).")
    boolean specs;

    @Option(names = "--kind", paramLabel = "gguf|packed", description = "Only GGUF types or only packed families.")
    String kind;

    record Row(String name, String kind, String spec, String sparseSpec) {
    }

    @Override
    public Integer call() {
        if (kind != null && !kind.equals("gguf") && !kind.equals("packed")) {
            throw new IllegalArgumentException("--kind must be gguf or packed, got '" + kind + "'");
        }
        PrintWriter out = command.commandLine().getOut();
        List<Row> rows = rows();
        if (specs) {
            for (Row r : rows) {
                out.println(r.spec);
                if (r.sparseSpec != null) {
                    out.println(r.sparseSpec);
                }
            }
        } else {
            out.printf("%-8s %-7s %-18s %s%n", "name", "kind", "default spec", "with +sparse");
            for (Row r : rows) {
                out.printf("%-8s %-7s %-18s %s%n", r.name, r.kind, r.spec, r.sparseSpec == null ? "-" : r.sparseSpec);
            }
        }
        out.flush();
        return 0;
    }

    List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        if (kind == null || kind.equals("gguf")) {
            for (String name : FormatTarget.GGUF_TYPES.keySet()) {
                rows.add(new Row(name, "gguf", name, null));
            }
        }
        if (kind == null || kind.equals("packed")) {
            for (String name : PackedFormats.names()) {
                String spec = FormatTarget.of(FormatSpec.parse(name)).spec().spec();
                String sparse;
                try {
                    sparse = FormatTarget.of(FormatSpec.parse(name + "+sparse")).spec().spec();
                } catch (RuntimeException e) {
                    sparse = null; // the family keeps no sparse outliers
                }
                rows.add(new Row(name, "packed", spec, sparse));
            }
        }
        return rows;
    }
}
