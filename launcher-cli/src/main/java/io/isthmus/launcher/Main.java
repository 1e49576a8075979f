package io.isthmus.launcher;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * {@code launcher MODEL [generate] --prompt TEXT ...} and the other subcommands. MODEL is a
 * model.yaml or a model file/folder; a command line that starts with it is rewritten to
 * {@code SUBCOMMAND MODEL ...} (generate when none is named) before picocli parses it.
 */
@Command(name = "launcher", mixinStandardHelpOptions = true, version = "isthmus 0.1.0",
        description = "Isthmus: CPU-first LLM inference on the JVM.",
        subcommands = {GenerateCommand.class, SpeedCommand.class, BenchCommand.class, PerplexityCommand.class,
                QuantizeCommand.class, FormatsCommand.class, SynthCommand.class, KernelBenchCommand.class, BenchChartCommand.class,
                OneDnnBenchCommand.class})
public final class Main implements Runnable {

    /** Subcommands that take MODEL as their first argument. */
    static final Set<String> MODEL_COMMANDS = Set.of("generate", "speed", "bench", "perplexity");
    /** Subcommands that take no MODEL. */
    static final Set<String> STANDALONE_COMMANDS = Set.of("bench-kernels", "bench-onednn", "bench-chart", "quantize", "formats", "synth", "help");

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Parses and runs {@code args}; returns the exit code (0 ok, 1 runtime error, 2 usage error). */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            err.println("isthmus: error: " + oneLine(e));
            if (System.getenv("ISTHMUS_DEBUG") != null) {
                e.printStackTrace(err);
            }
            err.flush();
            return 1;
        });
        return cli.execute(normalize(args));
    }

    /** Launch options that take no value / one value; they may come before MODEL. */
    static final Set<String> LAUNCH_FLAGS = Set.of("--bind-cores-to-rank", "--dry-run");
    static final Set<String> LAUNCH_VALUED = Set.of("--num-ranks", "--bind-core-list", "--sysfs-root", "--hosts",
            "--host-rank", "--master-addr", "--master-port");

    /**
     * {@code [launch options] MODEL [SUBCOMMAND] ...} becomes {@code SUBCOMMAND [launch options]
     * MODEL ...} (generate when no subcommand is named), the shape picocli parses.
     */
    static String[] normalize(String[] args) {
        List<String> launch = new ArrayList<>();
        int i = 0;
        while (i < args.length) {
            String name = args[i].contains("=") ? args[i].substring(0, args[i].indexOf('=')) : args[i];
            if (LAUNCH_FLAGS.contains(name)) {
                launch.add(args[i++]);
            } else if (LAUNCH_VALUED.contains(name)) {
                launch.add(args[i++]);
                if (!name.equals(launch.getLast()) || i >= args.length) {
                    continue; // --opt=value, or a missing value picocli will report
                }
                launch.add(args[i++]);
            } else {
                break;
            }
        }
        List<String> rest = Arrays.asList(args).subList(i, args.length);
        if (rest.isEmpty() || rest.getFirst().startsWith("-") || STANDALONE_COMMANDS.contains(rest.getFirst())) {
            return args;
        }
        List<String> out = new ArrayList<>();
        if (MODEL_COMMANDS.contains(rest.getFirst())) {
            out.add(rest.getFirst());
            out.addAll(launch);
            out.addAll(rest.subList(1, rest.size()));
        } else {
            boolean named = rest.size() > 1 && MODEL_COMMANDS.contains(rest.get(1));
            out.add(named ? rest.get(1) : "generate");
            out.addAll(launch);
            out.add(rest.getFirst());
            out.addAll(rest.subList(named ? 2 : 1, rest.size()));
        }
        return out.toArray(String[]::new);
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            m = e.getClass().getSimpleName();
        }
        return m.replace('\n', ' ');
    }
}
