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
        subcommands = {GenerateCommand.class, SpeedCommand.class, KernelBenchCommand.class})
public final class Main implements Runnable {

    /** Subcommands that take MODEL as their first argument. */
    static final Set<String> MODEL_COMMANDS = Set.of("generate", "speed");
    /** Subcommands that take no MODEL. */
    static final Set<String> STANDALONE_COMMANDS = Set.of("bench-kernels", "help");

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

    static String[] normalize(String[] args) {
        if (args.length == 0 || args[0].startsWith("-") || MODEL_COMMANDS.contains(args[0])
                || STANDALONE_COMMANDS.contains(args[0])) {
            return args;
        }
        List<String> out = new ArrayList<>();
        boolean named = args.length > 1 && MODEL_COMMANDS.contains(args[1]);
        out.add(named ? args[1] : "generate");
        out.add(args[0]);
        out.addAll(Arrays.asList(args).subList(named ? 2 : 1, args.length));
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
