package io.isthmus.runtime.cluster;

import io.isthmus.collectives.shm.JobDirectory;
import io.isthmus.numa.RankPlan;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * What a {@link WorkerGroup} starts.
 *
 * @param plan      the rank plan (cores, node and environment of each rank)
 * @param job       the job id: the job directory is {@code <root>/isthmus-<job>}, workers get ISTHMUS_JOB
 * @param root      where job directories live, {@code /dev/shm} but for tests
 * @param mainClass the workers' main class
 * @param arguments the workers' program arguments
 * @param ranks     the ranks of the plan to spawn: all for the launcher and for a host that follows
 *                  another's driver, 1..N-1 for the driver's host (rank 0 is the caller; none when it
 *                  is the host's only rank)
 * @param hosts     the job's hosts: the plan's ranks are this host's, numbered globally from
 *                  hostRank × plan size
 * @param sink      receives every worker output line, prefixed {@code [rank N] } with the global
 *                  rank; called from several threads
 */
public record WorkerGroupSpec(RankPlan plan, String job, Path root, String mainClass, List<String> arguments,
                              List<Integer> ranks, HostLayout hosts, Consumer<String> sink) {

    public WorkerGroupSpec {
        Objects.requireNonNull(plan, "plan");
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(mainClass, "mainClass");
        Objects.requireNonNull(hosts, "hosts");
        Objects.requireNonNull(sink, "sink");
        arguments = List.copyOf(arguments);
        ranks = List.copyOf(ranks);
        for (int r : ranks) {
            if (r < 0 || r >= plan.worldSize()) {
                throw new IllegalArgumentException("rank " + r + " is not in a plan of " + plan.worldSize());
            }
        }
    }

    /** The launcher's group: every rank of the plan, job directory in /dev/shm. */
    public static WorkerGroupSpec launcher(RankPlan plan, String job, String mainClass, List<String> arguments,
                                           Consumer<String> sink) {
        return new WorkerGroupSpec(plan, job, JobDirectory.SHM_ROOT, mainClass, arguments,
                IntStream.range(0, plan.worldSize()).boxed().toList(), HostLayout.single(), sink);
    }

    /** The embedded API's group: the followers 1..N-1; rank 0 is the calling JVM. */
    public static WorkerGroupSpec followers(RankPlan plan, String job, String mainClass, List<String> arguments,
                                            Consumer<String> sink) {
        return forHost(plan, HostLayout.single(), job, mainClass, arguments, sink);
    }

    /**
     * The group of one host of a job: on the driver's host (host 0) every rank but local rank 0,
     * which is the calling JVM; on any other host all of them.
     */
    public static WorkerGroupSpec forHost(RankPlan plan, HostLayout hosts, String job, String mainClass,
                                          List<String> arguments, Consumer<String> sink) {
        int first = hosts.isDriverHost() ? 1 : 0;
        return new WorkerGroupSpec(plan, job, JobDirectory.SHM_ROOT, mainClass, arguments,
                IntStream.range(first, plan.worldSize()).boxed().toList(), hosts, sink);
    }

    public WorkerGroupSpec withRoot(Path newRoot) {
        return new WorkerGroupSpec(plan, job, newRoot, mainClass, arguments, ranks, hosts, sink);
    }

    /** A worker's environment: its rank plan's, with the global numbering and the host layout. */
    Map<String, String> environment(int localRank) {
        Map<String, String> env = new LinkedHashMap<>(plan.rank(localRank).environment());
        env.putAll(hosts.environment(localRank, plan.worldSize()));
        env.put("ISTHMUS_JOB", job);
        return env;
    }
}
