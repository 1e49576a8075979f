package io.isthmus.launcher;

import io.isthmus.numa.CoreList;
import io.isthmus.numa.RankPlan;
import io.isthmus.runtime.api.EngineOptions;
import io.isthmus.runtime.cluster.LaunchOptions;
import io.isthmus.runtime.cluster.LaunchPlan;
import io.isthmus.runtime.config.ModelSpec;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.OptionalInt;

/** The launch options ({@code launcher [launch options] MODEL ...}): rank count, core binding, dry run. */
final class LaunchMixin {
    @Option(names = "--num-ranks", description = "Ranks (worker JVMs); default: the yaml's tensor_parallel, else one"
            + " per socket with --bind-cores-to-rank, else 1.")
    Integer numRanks;

    @Option(names = "--bind-cores-to-rank", description = "Give each rank an equal share of its socket's physical"
            + " cores (no SMT siblings) and its NUMA node, as DeepSpeed does.")
    boolean bindCoresToRank;

    @Option(names = "--bind-core-list", paramLabel = "LIST", description = "Use only these cores (e.g. 0-27,56-83),"
            + " split evenly among the ranks.")
    String coreList;

    @Option(names = "--dry-run", description = "Print the plan (rank, cores, NUMA node, environment, numactl"
            + " binding) and each rank's shard sizes, then exit.")
    boolean dryRun;

    @Option(names = "--sysfs-root", hidden = true, description = "Read the CPU topology below this root (tests).")
    Path sysfsRoot;

    LaunchOptions options() {
        return withRanks(numRanks == null ? OptionalInt.empty() : OptionalInt.of(numRanks));
    }

    /** These launch options with the rank count set to {@code ranks} (bench runs several). */
    LaunchOptions withRanks(OptionalInt ranks) {
        return new LaunchOptions(ranks, bindCoresToRank,
                coreList == null ? null : CoreList.parse(coreList), sysfsRoot == null ? Path.of("/") : sysfsRoot);
    }

    /** With --dry-run prints the plan and returns true (the command should then exit). */
    boolean printDryRun(ModelSpec spec, PrintWriter out) {
        if (!dryRun) {
            return false;
        }
        out.print(LaunchPlan.of(spec, options()).describe());
        out.flush();
        return true;
    }

    /**
     * Adds the rank plan to {@code options} when the launch options or the yaml ask for more than
     * one rank: this JVM then becomes rank 0 and starts the other ranks' JVMs.
     */
    EngineOptions apply(ModelSpec spec, EngineOptions options) {
        boolean asked = numRanks != null || bindCoresToRank || coreList != null || spec.tensorParallel().isPresent();
        if (!asked) {
            return options;
        }
        RankPlan plan = options().rankPlan(spec);
        return plan.worldSize() > 1 ? options.withRankPlan(plan) : options;
    }
}
