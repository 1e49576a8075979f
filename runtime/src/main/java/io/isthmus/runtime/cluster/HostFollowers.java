package io.isthmus.runtime.cluster;

import io.isthmus.numa.RankPlan;
import io.isthmus.runtime.config.ModelSpec;

import java.util.function.Consumer;

/**
 * The launcher's part on a host other than the driver's in a job of several hosts: it starts this
 * host's ranks, all followers (their leader joins host 0's bootstrap at the master address), and
 * supervises them as on a single host until the driver shuts the job down or a rank fails.
 */
public final class HostFollowers {

    private HostFollowers() {
    }

    /**
     * Runs this host's ranks of {@code plan} until they have all exited. Returns normally when they
     * exit cleanly (the driver shut the job down); throws the {@link WorkerFailure} of the first
     * rank that failed, after the others were stopped and the job directory removed.
     */
    public static void run(ModelSpec spec, RankPlan plan, HostLayout hosts, Consumer<String> sink)
            throws InterruptedException {
        if (hosts.isDriverHost()) {
            throw new IllegalArgumentException("host 0 runs the driver; its launcher does not only follow");
        }
        String job = "host" + hosts.hostRank() + "-" + ProcessHandle.current().pid();
        try (WorkerGroup workers = WorkerGroup.start(WorkerGroupSpec.forHost(plan, hosts, job,
                WorkerMain.class.getName(), DriverGroup.workerArguments(spec), sink))) {
            workers.await();
        }
    }
}
