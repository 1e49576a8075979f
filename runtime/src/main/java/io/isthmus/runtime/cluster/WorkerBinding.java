package io.isthmus.runtime.cluster;

import io.isthmus.numa.Affinity;
import io.isthmus.numa.CoreList;
import io.isthmus.numa.CpuSet;
import io.isthmus.numa.MemoryPolicy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A worker binding itself when it was not started under numactl: the first act of its main.
 * set_mempolicy binds what the main thread and the threads it starts later allocate to the rank's
 * NUMA node. sched_setaffinity binds one thread, and the JVM's own threads (GC, JIT) already exist
 * by the time main runs, so every thread in {@code /proc/self/task} is bound, the caller's first;
 * threads started later inherit the caller's mask.
 */
public final class WorkerBinding {

    public static final String CORES = "ISTHMUS_CORES";
    public static final String NODE = "ISTHMUS_NODE";
    private static final Path TASKS = Path.of("/proc/self/task");

    private WorkerBinding() {
    }

    /**
     * Binds to {@code ISTHMUS_CORES} when set, and the memory of this thread (and of the threads it
     * starts) to {@code ISTHMUS_NODE} when set; returns the cores, or null when ISTHMUS_CORES is absent.
     */
    public static CpuSet bindFromEnvironment() {
        String node = System.getenv(NODE);
        if (node != null && !node.isBlank()) {
            MemoryPolicy.bindCurrentThread(Integer.parseInt(node.trim()));
        }
        String cores = System.getenv(CORES);
        if (cores == null || cores.isBlank()) {
            return null;
        }
        CpuSet set = CoreList.parse(cores);
        Affinity.setCurrentThreadAffinity(set);
        bindAllThreads(set);
        return set;
    }

    private static void bindAllThreads(CpuSet set) {
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
            for (Path task : tasks) {
                try {
                    Affinity.setThreadAffinity(Integer.parseInt(task.getFileName().toString()), set);
                } catch (IllegalStateException e) {
                    if (Files.exists(task)) { // a thread that ended meanwhile is no error
                        throw e;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + TASKS, e);
        }
    }
}
