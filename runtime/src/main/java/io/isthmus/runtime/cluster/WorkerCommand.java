package io.isthmus.runtime.cluster;

import io.isthmus.numa.RankPlan;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The command line of one worker JVM: this JVM's java binary and class path, {@link JvmFlags},
 * prefixed by {@code numactl --physcpubind=... --membind=...} when numactl is on the PATH.
 * Without numactl the worker binds itself through {@link WorkerBinding}.
 */
public final class WorkerCommand {

    private WorkerCommand() {
    }

    public static List<String> forRank(RankPlan.Rank rank, Optional<Path> numactl, String mainClass,
                                       List<String> arguments) {
        List<String> command = new ArrayList<>();
        numactl.ifPresent(n -> {
            command.add(n.toString());
            command.addAll(rank.numactlArguments());
        });
        command.add(javaBinary());
        command.addAll(JvmFlags.current());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(arguments);
        return command;
    }

    static String javaBinary() {
        return ProcessHandle.current().info().command().orElseThrow(
                () -> new IllegalStateException("cannot tell which java binary runs this JVM"));
    }

    /** The first executable {@code numactl} on the PATH, if any. */
    public static Optional<Path> findNumactl() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, "numactl");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
