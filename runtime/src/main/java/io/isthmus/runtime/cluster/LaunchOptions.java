package io.isthmus.runtime.cluster;

import io.isthmus.numa.CpuSet;
import io.isthmus.numa.RankPlan;
import io.isthmus.numa.RankPlanner;
import io.isthmus.numa.Topology;
import io.isthmus.runtime.config.ModelSpec;

import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * How ranks are laid out on the machine, as DeepSpeed's launcher takes it: {@code --num-ranks},
 * {@code --bind-cores-to-rank} (each rank an equal share of its socket's physical cores) or
 * {@code --bind-core-list} (only these cores, split evenly).
 *
 * @param numRanks        explicit world size, else the yaml's tensor_parallel, else one per socket
 *                        with bindCoresToRank, else 1
 * @param bindCoresToRank split each socket's physical cores among its ranks
 * @param coreList        use only these CPUs (null: all)
 * @param sysfsRoot       where to read the topology ("/" normally; recorded trees in tests)
 */
public record LaunchOptions(OptionalInt numRanks, boolean bindCoresToRank, CpuSet coreList, Path sysfsRoot) {

    public static LaunchOptions defaults() {
        return new LaunchOptions(OptionalInt.empty(), false, null, Path.of("/"));
    }

    public LaunchOptions {
        if (numRanks.isPresent() && numRanks.getAsInt() <= 0) {
            throw new IllegalArgumentException("--num-ranks must be positive, got " + numRanks.getAsInt());
        }
        if (bindCoresToRank && coreList != null) {
            throw new IllegalArgumentException("--bind-cores-to-rank and --bind-core-list exclude each other");
        }
    }

    /** The world size these options and {@code spec} ask for on {@code topology}. */
    public int worldSize(ModelSpec spec, Topology topology) {
        if (numRanks.isPresent()) {
            return numRanks.getAsInt();
        }
        if (spec.tensorParallel().isPresent()) {
            return spec.tensorParallel().getAsInt();
        }
        // tensor_parallel: auto is one rank per socket, but only where the user asked for binding:
        // an unbound run stays in one process
        return bindCoresToRank ? new RankPlanner(topology).defaultRanks() : 1;
    }

    /** The rank layout on this machine (or the recorded tree at sysfsRoot). */
    public RankPlan rankPlan(ModelSpec spec) {
        Topology topology = Topology.read(sysfsRoot);
        RankPlanner planner = new RankPlanner(topology);
        int ranks = worldSize(spec, topology);
        return coreList != null ? planner.bindCoreList(coreList, ranks) : planner.bindCoresToRank(ranks);
    }
}
