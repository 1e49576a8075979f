package io.isthmus.runtime.cluster;

import io.isthmus.collectives.Communicator;
import io.isthmus.collectives.shm.JobDirectory;
import io.isthmus.collectives.shm.RankInfo;
import io.isthmus.collectives.shm.Rendezvous;
import io.isthmus.numa.CpuSet;
import io.isthmus.runtime.config.FormatSpec;

import io.isthmus.runtime.onednn.OneDnn;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A follower rank's JVM: {@code WorkerMain MODEL_PATH [FORMAT]}, with ISTHMUS_RANK,
 * ISTHMUS_WORLD_SIZE, ISTHMUS_JOB and ISTHMUS_CORES from the worker group (and the
 * {@link HostLayout} variables). Binds itself before it allocates anything, joins the job's
 * collectives (this host's shared memory; TCP between hosts), loads its shard and follows rank 0's
 * steps until told to shut down. Exit 0 after SHUTDOWN, 1 on any failure (printed as one line).
 */
public final class WorkerMain {
    /**
     * How long a follower waits for the next step or a peer: a long time, because an idle engine
     * sends nothing; a dead driver is noticed by {@link LauncherWatch} instead.
     */
    static final Duration FOLLOWER_TIMEOUT = Duration.ofDays(1);

    private WorkerMain() {
    }

    public static void main(String[] args) {
        CpuSet cores = WorkerBinding.bindFromEnvironment();
        LauncherWatch.haltWhenParentExits();
        int rank = -1;
        try {
            if (args.length < 1 || args.length > 3) {
                throw new IllegalArgumentException("usage: WorkerMain MODEL_PATH [FORMAT] [ONEDNN_LIBRARY]");
            }
            if (args.length > 2) {
                OneDnn.useLibrary(Path.of(args[2]));
            }
            rank = Integer.parseInt(env("ISTHMUS_RANK"));
            int localRank = Integer.parseInt(env(HostLayout.LOCAL_RANK));
            int localWorld = Integer.parseInt(env(HostLayout.LOCAL_WORLD_SIZE));
            HostLayout hosts = HostLayout.fromEnvironment(System.getenv());
            Path jobDir = JobDirectory.of(env("ISTHMUS_JOB"));
            FormatSpec format = args.length > 1 && !args[1].isEmpty() ? FormatSpec.parse(args[1]) : null;
            int node = Integer.parseInt(env("ISTHMUS_NODE"));
            Rendezvous.join(jobDir, RankInfo.ofThisProcess(localRank, node), localWorld, DriverGroup.JOIN_TIMEOUT);
            try (Communicator comm = JobCommunicator.connect(jobDir, localRank, localWorld, hosts,
                    DriverGroup.JOIN_TIMEOUT, FOLLOWER_TIMEOUT);
                 RankShard shard = RankShard.open(Path.of(args[0]), format, comm, cores, node)) {
                Thread.currentThread().setName("isthmus-follower-" + rank);
                shard.pool().pinAsDriver();
                Follower.run(shard.transformer(), comm);
            }
            System.exit(0);
        } catch (Throwable e) {
            System.err.println("isthmus: rank " + rank + " failed: " + e);
            System.err.flush();
            System.exit(1);
        }
    }

    private static String env(String name) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("environment variable " + name + " is not set (workers are started by the worker group)");
        }
        return v;
    }
}
