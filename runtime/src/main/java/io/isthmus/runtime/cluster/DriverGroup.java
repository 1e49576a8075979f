package io.isthmus.runtime.cluster;

import io.isthmus.collectives.Communicator;
import io.isthmus.collectives.shm.RankInfo;
import io.isthmus.collectives.shm.Rendezvous;
import io.isthmus.numa.RankPlan;
import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.config.ModelSpec;
import io.isthmus.runtime.model.ForwardPass;
import io.isthmus.runtime.onednn.OneDnn;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Rank 0 of a tensor-parallel job inside the caller's JVM: starts the follower JVMs of its host
 * through the worker group, joins the job's collectives (and so the other hosts' ranks, which their
 * own launchers started), loads rank 0's shard, and offers a {@link ForwardPass} that runs every
 * step on all ranks. Used by the embedded API, and so by the launcher.
 */
public final class DriverGroup implements AutoCloseable {
    /**
     * How long rank 0 waits for a live follower inside a collective. Ranks do the same work between
     * collectives, so a healthy wait is short, but a loaded machine (more ranks than cores, a JIT
     * still compiling) can stall one for seconds. A follower whose process exited is reported
     * within the collective's liveness period (50 ms), not after this.
     */
    public static final Duration DRIVER_TIMEOUT = Duration.ofSeconds(60);
    /** How long ranks wait for each other to start, load nothing yet and register. */
    static final Duration JOIN_TIMEOUT = Duration.ofSeconds(120);
    private static final AtomicInteger JOBS = new AtomicInteger();

    private final WorkerGroup workers;
    private final Communicator comm;
    private final RankShard shard;
    private final DriverForward forward;

    private DriverGroup(WorkerGroup workers, Communicator comm, RankShard shard) {
        this.workers = workers;
        this.comm = comm;
        this.shard = shard;
        this.forward = new DriverForward(shard.transformer(), comm);
    }

    /** Starts the followers of {@code plan} and joins them; worker output lines go to {@code sink}. */
    public static DriverGroup start(ModelSpec spec, RankPlan plan, Consumer<String> sink) {
        return start(spec, plan, HostLayout.single(), sink);
    }

    /**
     * As {@link #start(ModelSpec, RankPlan, Consumer)} on host 0 of a job of several hosts: {@code plan}
     * is this host's ranks; the other hosts' launchers start theirs ({@link HostFollowers}), and the
     * group joins them through the master address.
     */
    public static DriverGroup start(ModelSpec spec, RankPlan plan, HostLayout hosts, Consumer<String> sink) {
        if (!hosts.isDriverHost()) {
            throw new IllegalArgumentException("the driver runs on host 0, not on " + hosts.describe());
        }
        String job = ProcessHandle.current().pid() + "-" + JOBS.incrementAndGet();
        OneDnn.useLibrary(spec.onednnLibrary().orElse(null));
        WorkerGroup workers = WorkerGroup.start(WorkerGroupSpec.forHost(plan, hosts, job, WorkerMain.class.getName(),
                workerArguments(spec), sink));
        Communicator comm = null;
        try {
            List<RankInfo> registered = Rendezvous.join(workers.jobDirectory(),
                    RankInfo.ofThisProcess(0, plan.rank(0).node()), plan.worldSize(), JOIN_TIMEOUT);
            checkPids(registered, workers);
            comm = JobCommunicator.connect(workers.jobDirectory(), 0, plan.worldSize(), hosts, JOIN_TIMEOUT, DRIVER_TIMEOUT);
            RankShard shard = RankShard.open(spec.model(), spec.format().orElse(null), comm, plan.rank(0).cores(),
                    plan.rank(0).node());
            return new DriverGroup(workers, comm, shard);
        } catch (RuntimeException | Error e) {
            if (comm != null) {
                comm.close();
            }
            workers.close();
            throw workers.failure().<RuntimeException>map(f -> {
                f.addSuppressed(e);
                return f;
            }).orElseGet(() -> e instanceof RuntimeException r ? r : new IllegalStateException(e));
        }
    }

    /** What {@link WorkerMain} takes: the model, the format (or empty), the oneDNN library if one is set. */
    static List<String> workerArguments(ModelSpec spec) {
        List<String> args = new ArrayList<>(List.of(spec.model().toString()));
        args.add(spec.format().map(FormatSpec::spec).orElse(""));
        spec.onednnLibrary().map(Path::toString).ifPresent(args::add);
        return args;
    }

    /** Waits until the followers have exited (or failed) or {@code timeout} passed; a failure is kept, not thrown. */
    private void awaitFollowers(Duration timeout) {
        try {
            workers.await(timeout);
        } catch (WorkerFailure reported) {
            // kept by the group; explain() and the engine report it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Every follower registered from the process the group started for its rank (no stray joiner). */
    private static void checkPids(List<RankInfo> registered, WorkerGroup workers) {
        for (RankInfo r : registered) {
            ProcessHandle started = workers.processes().get(r.rank());
            if (started != null && started.pid() != r.pid()) {
                throw new IllegalStateException("rank " + r.rank() + " registered from pid " + r.pid()
                        + ", but the worker group started pid " + started.pid());
            }
        }
    }

    public ForwardPass forward() {
        return forward;
    }

    public RankShard shard() {
        return shard;
    }

    public int worldSize() {
        return comm.worldSize();
    }

    /**
     * The failure behind {@code e} when a follower died (waits briefly for its exit to be
     * noticed): a {@link WorkerFailure} naming the rank, its exit status and last lines.
     */
    public RuntimeException explain(RuntimeException e) {
        awaitFollowers(Duration.ofSeconds(2));
        Optional<WorkerFailure> failure = workers.failure();
        if (failure.isEmpty()) {
            return e;
        }
        failure.get().addSuppressed(e);
        return failure.get();
    }

    /** Tells the followers to stop; must run on the thread that drives the forward passes. */
    public void shutDownFollowers() {
        if (workers.failure().isEmpty()) {
            forward.close();
        }
    }

    /** Waits briefly for the followers to exit, then stops whatever is left and removes the job directory. */
    @Override
    public void close() {
        awaitFollowers(Duration.ofSeconds(5));
        comm.close();
        workers.close();
        shard.close();
    }
}
