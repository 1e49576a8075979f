package io.isthmus.runtime.cluster;

import io.isthmus.numa.MemoryPolicy;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A worker for WorkerGroupTest: binds itself, prints its main thread's tid and memory policy, its environment and a
 * few lines, then acts on {@code args[rank]}: {@code sleep} until killed, {@code exit0}, or
 * {@code exit3} after a second.
 */
public final class TestWorker {

    static final String[] ENV = {"ISTHMUS_JOB", "ISTHMUS_RANK", "ISTHMUS_WORLD_SIZE", "ISTHMUS_CORES",
            "ISTHMUS_NODE", "OMP_NUM_THREADS", "OMP_PLACES"};

    public static void main(String[] args) throws Exception {
        WorkerBinding.bindFromEnvironment();
        LauncherWatch.haltWhenParentExits();
        int rank = Integer.parseInt(System.getenv("ISTHMUS_RANK"));
        String tid = Files.readString(Path.of("/proc/thread-self/stat")).split(" ", 2)[0];
        System.out.println("tid " + tid);
        MemoryPolicy.Policy policy = MemoryPolicy.currentThreadPolicy();
        System.out.println("mempolicy " + policy.mode() + " " + policy.nodes());
        for (String key : ENV) {
            System.out.println("env " + key + "=" + System.getenv(key));
        }
        for (int i = 1; i <= 3; i++) {
            System.out.println("rank " + rank + " line " + i);
        }
        String action = args[rank];
        System.out.println("ready " + action);
        System.out.flush();
        switch (action) {
            case "sleep" -> Thread.sleep(Long.MAX_VALUE);
            case "exit0" -> System.exit(0);
            case "exit3" -> {
                Thread.sleep(1000);
                System.err.println("rank " + rank + " failing on purpose");
                System.exit(3);
            }
            default -> throw new IllegalArgumentException(action);
        }
    }
}
