package io.isthmus.runtime.cluster;

import io.isthmus.numa.CoreList;
import io.isthmus.numa.RankPlanner;
import io.isthmus.numa.Topology;

import java.nio.file.Path;
import java.util.List;

/** A launcher for WorkerGroupTest: starts two sleeping TestWorkers under {@code args[0]}, prints their pids, waits. */
public final class TestLauncher {

    public static void main(String[] args) throws Exception {
        var plan = new RankPlanner(Topology.live()).bindCoreList(CoreList.parse("0-1"), 2);
        WorkerGroup group = WorkerGroup.start(WorkerGroupSpec.launcher(plan, "launcher-test",
                TestWorker.class.getName(), List.of("sleep", "sleep"), System.out::println).withRoot(Path.of(args[0])));
        group.processes().forEach((rank, p) -> System.out.println("worker " + rank + " " + p.pid()));
        System.out.flush();
        group.await();
    }
}
