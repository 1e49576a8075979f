package io.isthmus.runtime.cluster;

import io.isthmus.collectives.shm.JobDirectory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Job directories {@code <root>/isthmus-<job>} owned by a launcher: each holds a {@value #PID_FILE}
 * naming the launcher's pid, so a later launch can tell which ones a killed launcher left behind.
 */
public final class JobDirectories {

    public static final String PREFIX = "isthmus-";
    public static final String PID_FILE = "launcher.pid";

    private JobDirectories() {
    }

    public static Path of(Path root, String job) {
        return root.resolve(PREFIX + job);
    }

    /** Creates the job directory with this JVM's pid in {@value #PID_FILE}; fails if it exists. */
    public static Path create(Path root, String job) {
        Path dir = of(root, job);
        try {
            Files.createDirectory(dir);
            Files.writeString(dir.resolve(PID_FILE), ProcessHandle.current().pid() + "\n",
                    StandardCharsets.US_ASCII);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create job directory " + dir, e);
        }
    }

    /**
     * Removes every {@code isthmus-*} directory under {@code root} whose {@value #PID_FILE} names a
     * process that is no longer alive. Directories without a readable pid file are kept: they are
     * not known to be a launcher's.
     *
     * @return the directories removed
     */
    public static List<Path> removeStale(Path root) {
        List<Path> removed = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return removed;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, PREFIX + "*")) {
            for (Path dir : dirs) {
                OptionalLong pid = launcherPid(dir);
                if (pid.isPresent() && !alive(pid.getAsLong())) {
                    JobDirectory.remove(dir);
                    removed.add(dir);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
        return removed;
    }

    static OptionalLong launcherPid(Path dir) {
        try {
            return OptionalLong.of(Long.parseLong(
                    Files.readString(dir.resolve(PID_FILE), StandardCharsets.US_ASCII).trim()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
