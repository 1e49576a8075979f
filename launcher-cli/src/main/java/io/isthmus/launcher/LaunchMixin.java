package io.isthmus.launcher;

import io.isthmus.numa.CoreList;
import io.isthmus.numa.RankPlan;
import io.isthmus.runtime.api.EngineOptions;
import io.isthmus.runtime.cluster.HostFollowers;
import io.isthmus.runtime.cluster.HostLayout;
import io.isthmus.runtime.cluster.LaunchOptions;
import io.isthmus.runtime.cluster.LaunchPlan;
import io.isthmus.runtime.config.ModelSpec;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * The launch options ({@code launcher [launch options] MODEL ...}): rank count, core binding, dry
 * run, and the hosts of a job that spans several.
 */
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

    @Option(names = "--hosts", paramLabel = "N", description = "Hosts in the job (torchrun's --nnodes; default 1). Run"
            + " the same command on each, with its --host-rank; every host runs the same number of ranks, and"
            + " --num-ranks then counts one host's.")
    Integer hosts;

    @Option(names = "--host-rank", paramLabel = "R", description = "This host's number, 0..N-1 (torchrun's"
            + " --node-rank); host 0 runs the driver (rank 0), the others only follow it.")
    int hostRank;

    @Option(names = "--master-addr", paramLabel = "HOST", defaultValue = "${env:ISTHMUS_MASTER_ADDR}",
            description = "Host 0's address, where the other hosts join the job (default: ISTHMUS_MASTER_ADDR).")
    String masterAddr;

    @Option(names = "--master-port", paramLabel = "PORT", defaultValue = "${env:ISTHMUS_MASTER_PORT}",
            description = "Its port (default: ISTHMUS_MASTER_PORT).")
    Integer masterPort;

    /** The job's hosts from --hosts/--host-rank/--master-*; HostLayout names what is missing. */
    HostLayout hostLayout() {
        if (hosts == null || hosts == 1) {
            if (hostRank != 0) {
                throw new IllegalArgumentException("--host-rank " + hostRank + " needs --hosts (the number of hosts)");
            }
            return HostLayout.single();
        }
        return new HostLayout(hosts, hostRank, masterAddr, masterPort == null ? 0 : masterPort);
    }

    /**
     * This host's launch options for {@code spec}. On a job of several hosts the ranks per host are
     * --num-ranks, else the yaml's tensor_parallel divided among the hosts.
     */
    LaunchOptions options(ModelSpec spec) {
        if (numRanks != null) {
            return withRanks(OptionalInt.of(numRanks));
        }
        HostLayout layout = hostLayout();
        if (layout.isMultiHost() && spec.tensorParallel().isPresent()) {
            int total = spec.tensorParallel().getAsInt();
            if (total % layout.hosts() != 0) {
                throw new IllegalArgumentException(spec.source().map(p -> p + ": ").orElse("") + "tensor_parallel "
                        + total + " does not split evenly over " + layout.hosts() + " hosts (key 'tensor_parallel')");
            }
            return withRanks(OptionalInt.of(total / layout.hosts()));
        }
        return withRanks(OptionalInt.empty());
    }

    /** These launch options with the rank count set to {@code ranks} (bench runs several). */
    LaunchOptions withRanks(OptionalInt ranks) {
        return new LaunchOptions(ranks, bindCoresToRank,
                coreList == null ? null : CoreList.parse(coreList), sysfsRoot == null ? Path.of("/") : sysfsRoot);
    }

    /**
     * Does what the launch options ask instead of the command, and returns true when they did (the
     * command should then exit 0): with --dry-run prints the plan; on a host other than host 0 of a
     * job of several hosts starts this host's ranks and supervises them until the driver ends the
     * job (a rank's failure is thrown).
     */
    boolean runInstead(ModelSpec spec, PrintWriter out, PrintWriter err) throws InterruptedException {
        HostLayout layout = hostLayout();
        if (dryRun) {
            out.print(LaunchPlan.of(spec, options(spec), layout).describe());
            out.flush();
            return true;
        }
        if (layout.isDriverHost()) {
            return false;
        }
        RankPlan plan = options(spec).rankPlan(spec);
        err.println("isthmus: " + layout.describe() + ": starting " + plan.worldSize()
                + " rank(s) that follow the driver on host 0");
        err.flush();
        HostFollowers.run(spec, plan, layout, line -> {
            err.println(line);
            err.flush();
        });
        return true;
    }

    /**
     * Adds the rank plan to {@code options} when the launch options or the yaml ask for more than
     * one rank: this JVM then becomes rank 0 and starts the other ranks' JVMs.
     */
    EngineOptions apply(ModelSpec spec, EngineOptions options) {
        HostLayout layout = hostLayout();
        boolean asked = numRanks != null || bindCoresToRank || coreList != null || spec.tensorParallel().isPresent();
        if (!asked && !layout.isMultiHost()) {
            return options;
        }
        RankPlan plan = options(spec).rankPlan(spec);
        options = options.withHosts(layout);
        return plan.worldSize() > 1 || layout.isMultiHost() ? options.withRankPlan(plan) : options;
    }
}
