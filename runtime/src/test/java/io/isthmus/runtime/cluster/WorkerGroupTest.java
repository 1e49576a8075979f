package io.isthmus.runtime.cluster;

import io.isthmus.numa.CoreList;
import io.isthmus.numa.RankPlan;
import io.isthmus.numa.RankPlanner;
import io.isthmus.numa.Topology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerGroupTest {

    private static final Duration START = Duration.ofSeconds(30);

    @TempDir
    Path root;

    private final List<String> lines = new CopyOnWriteArrayList<>();

    private static RankPlan plan() {
        return new RankPlanner(Topology.live()).bindCoreList(CoreList.parse("0-1"), 2);
    }

    private WorkerGroup start(String... actions) {
        return WorkerGroup.start(WorkerGroupSpec.launcher(plan(), "test-" + ProcessHandle.current().pid(),
                TestWorker.class.getName(), List.of(actions), lines::add).withRoot(root));
    }

    /** Waits until every rank in the group printed its "ready" line. */
    private void awaitReady(WorkerGroup group) throws InterruptedException {
        for (int rank : group.processes().keySet()) {
            awaitLine(l -> l.startsWith("[rank " + rank + "] ready"));
        }
    }

    private String awaitLine(Predicate<String> p) throws InterruptedException {
        long deadline = System.nanoTime() + START.toNanos();
        while (System.nanoTime() < deadline) {
            for (String l : lines) {
                if (p.test(l)) {
                    return l;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no such line in " + lines);
    }

    private static void assertAllGone(Collection<ProcessHandle> processes, long deadlineNanos)
            throws InterruptedException {
        for (ProcessHandle h : processes) {
            while (h.isAlive() && System.nanoTime() < deadlineNanos) {
                Thread.sleep(10);
            }
            assertFalse(h.isAlive(), "worker " + h.pid() + " still alive");
        }
    }

    private static void killAll(WorkerGroup group) {
        if (group != null) {
            group.processes().values().forEach(ProcessHandle::destroyForcibly);
            group.close();
        }
    }

    @Test
    void workersStartWithTheirRanksEnvironmentAndPrefixedOutput() throws Exception {
        WorkerGroup group = start("exit0", "exit0");
        try {
            assertTrue(group.await(START), "both workers exit 0");
            RankPlan plan = plan();
            for (int rank = 0; rank < 2; rank++) {
                Map<String, String> expected = new java.util.LinkedHashMap<>(plan.rank(rank).environment());
                expected.put("ISTHMUS_JOB", "test-" + ProcessHandle.current().pid());
                for (var e : expected.entrySet()) {
                    String line = "[rank " + rank + "] env " + e.getKey() + "=" + e.getValue();
                    assertTrue(lines.contains(line), line + " in " + lines);
                }
                assertTrue(lines.contains("[rank " + rank + "] rank " + rank + " line 3"));
            }
            assertFalse(Files.exists(group.jobDirectory()), "directory removed after a clean finish");
        } finally {
            killAll(group);
        }
    }

    @Test
    void workerExitingNonZeroStopsTheGroup() throws Exception {
        WorkerGroup group = start("sleep", "exit3");
        try {
            assertTrue(Files.isDirectory(group.jobDirectory()));
            awaitReady(group);
            ProcessHandle failing = group.processes().get(1);
            failing.onExit().join();
            long died = System.nanoTime();
            WorkerFailure f = assertThrows(WorkerFailure.class, () -> group.await(Duration.ofSeconds(5)));
            assertEquals(1, f.rank());
            assertEquals(3, f.exitStatus());
            assertTrue(f.signal().isEmpty());
            assertTrue(f.lastLines().contains("rank 1 failing on purpose"), f.lastLines().toString());
            assertTrue(f.lastLines().contains("rank 1 line 3"), f.lastLines().toString());
            assertTrue(f.getMessage().startsWith("rank 1 exited with status 3"), f.getMessage());
            assertAllGone(group.processes().values(), died + Duration.ofSeconds(5).toNanos());
            assertFalse(Files.exists(group.jobDirectory()));
            assertTrue(System.nanoTime() - died < Duration.ofSeconds(5).toNanos(), "stopped within 5 s");
        } finally {
            killAll(group);
        }
    }

    @Test
    void sigkillOfOneWorkerEndsTheJobWithinFiveSeconds() throws Exception {
        WorkerGroup group = start("sleep", "sleep");
        try {
            awaitReady(group);
            long killed = System.nanoTime();
            ProcessHandle.of(group.processes().get(1).pid()).orElseThrow().destroyForcibly();
            WorkerFailure f = assertThrows(WorkerFailure.class, () -> group.await(Duration.ofSeconds(5)));
            assertEquals(1, f.rank());
            assertEquals(137, f.exitStatus());
            assertEquals(9, f.signal().orElseThrow());
            assertTrue(f.getMessage().startsWith("rank 1 was killed by signal 9 (SIGKILL)"), f.getMessage());
            assertTrue(f.lastLines().contains("ready sleep"), f.lastLines().toString());
            assertAllGone(group.processes().values(), killed + Duration.ofSeconds(5).toNanos());
            assertFalse(Files.exists(group.jobDirectory()));
            assertTrue(System.nanoTime() - killed < Duration.ofSeconds(5).toNanos(), "stopped within 5 s");
        } finally {
            killAll(group);
        }
    }

    @Test
    void closeLeavesNoProcessAndNoDirectory() throws Exception {
        WorkerGroup group = start("sleep", "sleep");
        List<ProcessHandle> processes = new ArrayList<>(group.processes().values());
        try {
            awaitReady(group);
            group.close();
            processes.forEach(p -> assertFalse(p.isAlive(), "worker " + p.pid() + " alive after close"));
            assertFalse(Files.exists(group.jobDirectory()));
            assertTrue(group.await(Duration.ofSeconds(1)), "closing is no failure");
        } finally {
            killAll(group);
        }
    }

    @Test
    void eachWorkersMainThreadIsBoundToItsCoresAndItsMemoryToItsNode() throws Exception {
        WorkerGroup group = start("sleep", "sleep");
        try {
            awaitReady(group);
            RankPlan plan = plan();
            for (var e : group.processes().entrySet()) {
                int rank = e.getKey();
                long pid = e.getValue().pid();
                String tid = awaitLine(l -> l.startsWith("[rank " + rank + "] tid ")).split(" ")[3];
                String expected = CoreList.format(plan.rank(rank).cores());
                assertEquals(expected, cpusAllowed(Path.of("/proc", "" + pid, "task", tid, "status")),
                        "rank " + rank + " main thread");
                // the JVM's other threads too (under numactl, or bound one by one by WorkerBinding)
                assertEquals(expected, cpusAllowed(Path.of("/proc", "" + pid, "status")), "rank " + rank);
                assertEquals("[rank " + rank + "] mempolicy BIND {" + plan.rank(rank).node() + "}",
                        awaitLine(l -> l.startsWith("[rank " + rank + "] mempolicy ")), "rank " + rank + " memory policy");
            }
        } finally {
            killAll(group);
        }
    }

    @Test
    void sigtermToTheLauncherStopsWorkersAndRemovesTheDirectory() throws Exception {
        killLauncher(false);
    }

    @Test
    void sigkilledLaunchersWorkersEndAndItsDirectoryIsRemovedNextLaunch() throws Exception {
        killLauncher(true);
    }

    private void killLauncher(boolean sigkill) throws Exception {
        List<String> command = new ArrayList<>(List.of(WorkerCommand.javaBinary()));
        command.addAll(JvmFlags.current());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), TestLauncher.class.getName(),
                root.toString()));
        Process launcher = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<ProcessHandle> workers = new ArrayList<>();
        try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(launcher.getInputStream()))) {
            int ready = 0;
            for (String line; ready < 2 && (line = out.readLine()) != null; ) {
                if (line.startsWith("worker ")) {
                    ProcessHandle.of(Long.parseLong(line.split(" ")[2])).ifPresent(workers::add);
                } else if (line.contains("] ready sleep")) {
                    ready++;
                }
            }
            assertEquals(2, workers.size());
            assertTrue(Files.isDirectory(root.resolve("isthmus-launcher-test")));
            if (sigkill) {
                launcher.destroyForcibly(); // no shutdown hook runs: LauncherWatch ends the workers
            } else {
                launcher.destroy(); // SIGTERM: the shutdown hook stops the workers
            }
            assertTrue(launcher.waitFor(10, java.util.concurrent.TimeUnit.SECONDS));
            assertAllGone(workers, System.nanoTime() + Duration.ofSeconds(5).toNanos());
            if (sigkill) {
                assertTrue(Files.exists(root.resolve("isthmus-launcher-test")), "left behind");
                assertEquals(List.of(root.resolve("isthmus-launcher-test")), JobDirectories.removeStale(root));
            }
            assertFalse(Files.exists(root.resolve("isthmus-launcher-test")));
        } finally {
            launcher.destroyForcibly();
            workers.forEach(ProcessHandle::destroyForcibly);
        }
    }

    private static String cpusAllowed(Path status) throws Exception {
        return Files.readAllLines(status).stream().filter(l -> l.startsWith("Cpus_allowed_list:"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElseThrow();
    }
}
