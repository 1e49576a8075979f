package io.isthmus.runtime.cluster;

import io.isthmus.collectives.shm.JobDirectory;
import io.isthmus.numa.RankPlan;

import java.nio.file.Path;
import java.util.List;
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
 * @param ranks     the ranks to spawn: all for the launcher, 1..N-1 for the embedded API (rank 0 is the caller)
 * @param sink      receives every worker output line, prefixed {@code [rank N] }; called from several threads
 */
public record WorkerGroupSpec(RankPlan plan, String job, Path root, String mainClass, List<String> arguments,
                              List<Integer> ranks, Consumer<String> sink) {

    public WorkerGroupSpec {
        Objects.requireNonNull(plan, "plan");
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(mainClass, "mainClass");
        Objects.requireNonNull(sink, "sink");
        arguments = List.copyOf(arguments);
        ranks = List.copyOf(ranks);
        if (ranks.isEmpty()) {
            throw new IllegalArgumentException("no ranks to spawn");
        }
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
                IntStream.range(0, plan.worldSize()).boxed().toList(), sink);
    }

    /** The embedded API's group: the followers 1..N-1; rank 0 is the calling JVM. */
    public static WorkerGroupSpec followers(RankPlan plan, String job, String mainClass, List<String> arguments,
                                            Consumer<String> sink) {
        return new WorkerGroupSpec(plan, job, JobDirectory.SHM_ROOT, mainClass, arguments,
                IntStream.range(1, plan.worldSize()).boxed().toList(), sink);
    }

    public WorkerGroupSpec withRoot(Path newRoot) {
        return new WorkerGroupSpec(plan, job, newRoot, mainClass, arguments, ranks, sink);
    }
}
