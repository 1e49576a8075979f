package io.isthmus.runtime.onednn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The threads of this process as Linux sees them ({@code /proc/self/task}): name, CPU affinity and
 * CPU time. Used to check, not assume, where oneDNN's OpenMP threads run and that the compute
 * pool sleeps while they do.
 */
public final class ThreadCensus {
    /** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
    private static final double TICK_MS = 10;

    /** One thread: its id, name ({@code comm}), allowed CPUs and CPU time so far. */
    public record Task(int tid, String name, String cpus, double cpuMs) {
    }

    private ThreadCensus() {
    }

    /** Every thread of this process now; empty where /proc cannot be read. */
    public static List<Task> tasks() {
        List<Task> tasks = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(Path.of("/proc/self/task"))) {
            for (Path dir : dirs.toList()) {
                Task t = read(dir);
                if (t != null) {
                    tasks.add(t);
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        return tasks;
    }

    private static Task read(Path dir) {
        try {
            String stat = Files.readString(dir.resolve("stat"));
            int open = stat.indexOf('(');
            int close = stat.lastIndexOf(')');
            String name = stat.substring(open + 1, close);
            String[] f = stat.substring(close + 2).split(" "); // f[0] is field 3 (state)
            double cpuMs = (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK_MS; // utime, stime
            String cpus = "?";
            for (String line : Files.readAllLines(dir.resolve("status"))) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    cpus = line.substring(line.indexOf(':') + 1).strip();
                }
            }
            return new Task(Integer.parseInt(dir.getFileName().toString()), name, cpus, cpuMs);
        } catch (IOException | RuntimeException e) {
            return null; // the thread ended while being read
        }
    }

    /** The CPU time {@code tid} gained between two censuses (0 if it is missing from either). */
    public static double cpuMsBetween(List<Task> before, List<Task> after, int tid) {
        double a = after.stream().filter(t -> t.tid() == tid).mapToDouble(Task::cpuMs).findFirst().orElse(0);
        double b = before.stream().filter(t -> t.tid() == tid).mapToDouble(Task::cpuMs).findFirst().orElse(a);
        return a - b;
    }
}
