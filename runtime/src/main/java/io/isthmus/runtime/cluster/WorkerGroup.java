package io.isthmus.runtime.cluster;

import io.isthmus.collectives.shm.JobDirectory;
import io.isthmus.numa.RankPlan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One JVM per rank, bound to the rank's cores, supervised.
 *
 * <p>A worker exiting with a non-zero status (a signal death included) fails the group: the other
 * workers get SIGTERM, then SIGKILL after {@link #GRACE}; a {@link WorkerFailure} naming the rank,
 * its status and last lines is recorded for {@link #await()}; the job directory is removed. A worker
 * exiting 0 is a clean finish; when every worker has, the group is done and the directory removed.
 * Exits after the group began stopping (close, failure, shutdown) are expected and never failures.
 */
public final class WorkerGroup implements AutoCloseable {

    /** Time between SIGTERM and SIGKILL when stopping workers. */
    public static final Duration GRACE = Duration.ofSeconds(2);
    /** Output lines kept per worker for a failure report. */
    public static final int TAIL_LINES = 20;

    private record Worker(int rank, Process process, OutputPump pump) {
    }

    private final Path jobDirectory;
    private final Consumer<String> sink;
    private final List<Worker> workers;
    private final AtomicInteger running;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final Thread shutdownHook;
    private volatile WorkerFailure failure;

    private WorkerGroup(Path jobDirectory, Consumer<String> sink, List<Worker> workers) {
        this.jobDirectory = jobDirectory;
        this.sink = sink;
        this.workers = List.copyOf(workers);
        this.running = new AtomicInteger(workers.size());
        // SIGINT/SIGTERM to this JVM: workers get SIGTERM (destroy), then SIGKILL; directory removed
        this.shutdownHook = Thread.ofPlatform().name("isthmus-worker-group-shutdown").unstarted(() -> {
            stopping.set(true);
            stopWorkers();
            removeJobDirectory();
        });
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        for (Worker w : this.workers) {
            w.process().onExit().thenRun(() -> onExit(w));
        }
        if (this.workers.isEmpty()) { // a host whose only rank is the caller: nothing to wait for
            done.complete(null);
        }
    }

    /**
     * Removes stale job directories under the spec's root, creates this job's directory (with
     * {@code launcher.pid}) and starts the spec's ranks.
     */
    public static WorkerGroup start(WorkerGroupSpec spec) {
        JobDirectories.removeStale(spec.root());
        Path dir = JobDirectories.create(spec.root(), spec.job());
        Consumer<String> sink = synchronizedSink(spec.sink());
        var numactl = WorkerCommand.findNumactl();
        List<Worker> started = new ArrayList<>();
        try {
            for (int r : spec.ranks()) {
                RankPlan.Rank rank = spec.plan().rank(r);
                ProcessBuilder pb = new ProcessBuilder(
                        WorkerCommand.forRank(rank, numactl, spec.mainClass(), spec.arguments()));
                pb.redirectErrorStream(true);
                pb.environment().putAll(spec.environment(r));
                Process p = pb.start();
                int global = spec.hosts().globalRank(r, spec.plan().worldSize());
                OutputPump pump = new OutputPump(global, p.getInputStream(), sink, TAIL_LINES);
                pump.start();
                started.add(new Worker(global, p, pump));
            }
        } catch (IOException | RuntimeException e) {
            started.forEach(w -> w.process().destroyForcibly());
            JobDirectory.remove(dir);
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot start worker JVM", io);
            }
            throw (RuntimeException) e;
        }
        return new WorkerGroup(dir, sink, started);
    }

    private static Consumer<String> synchronizedSink(Consumer<String> sink) {
        Object lock = new Object();
        return line -> {
            synchronized (lock) {
                sink.accept(line);
            }
        };
    }

    private void onExit(Worker w) {
        int status = w.process().exitValue();
        int left = running.decrementAndGet();
        if (status != 0) {
            if (stopping.compareAndSet(false, true)) {
                // not on the process reaper's thread: stopping the others waits up to GRACE
                Thread.ofPlatform().name("isthmus-supervisor").start(() -> fail(w, status));
            }
        } else if (left == 0 && stopping.compareAndSet(false, true)) {
            removeJobDirectory();
            done.complete(null);
        }
    }

    private void fail(Worker dead, int status) {
        try {
            workers.forEach(WorkerGroup::terminate);
            try {
                dead.pump().join(500); // its pipe is closed: the last lines are all in
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            failure = new WorkerFailure(dead.rank(), status, dead.pump().lastLines());
            stopWorkers();
            removeJobDirectory();
        } finally {
            done.complete(null);
        }
    }

    private static void terminate(Worker w) {
        w.process().descendants().forEach(ProcessHandle::destroy);
        w.process().destroy();
    }

    /** SIGTERM to every live worker, SIGKILL to those still alive after GRACE. */
    private void stopWorkers() {
        workers.forEach(WorkerGroup::terminate);
        long deadline = System.nanoTime() + GRACE.toNanos();
        for (Worker w : workers) {
            waitFor(w.process(), deadline - System.nanoTime());
        }
        for (Worker w : workers) {
            if (w.process().isAlive()) {
                w.process().descendants().forEach(ProcessHandle::destroyForcibly);
                w.process().destroyForcibly();
            }
        }
        long killDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        for (Worker w : workers) {
            waitFor(w.process(), killDeadline - System.nanoTime());
        }
    }

    private static void waitFor(Process p, long nanos) {
        try {
            p.waitFor(Math.max(0, nanos), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void removeJobDirectory() {
        try {
            JobDirectory.remove(jobDirectory);
        } catch (UncheckedIOException e) {
            sink.accept("[supervisor] " + e.getMessage() + ": " + e.getCause());
        }
    }

    /** Waits until every worker has exited or the group was stopped; throws the failure if one died. */
    public void await() throws InterruptedException {
        try {
            done.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause()); // done never completes exceptionally
        }
        throwFailure();
    }

    /** As {@link #await()}, for at most {@code timeout}; false when it ran out. */
    public boolean await(Duration timeout) throws InterruptedException {
        try {
            done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        throwFailure();
        return true;
    }

    private void throwFailure() {
        WorkerFailure f = failure;
        if (f != null) {
            throw f;
        }
    }

    public Optional<WorkerFailure> failure() {
        return Optional.ofNullable(failure);
    }

    public Path jobDirectory() {
        return jobDirectory;
    }

    /** The spawned workers' processes by global rank, in spawn order. */
    public Map<Integer, ProcessHandle> processes() {
        Map<Integer, ProcessHandle> m = new LinkedHashMap<>();
        workers.forEach(w -> m.put(w.rank(), w.process().toHandle()));
        return m;
    }

    /** Stops every worker (SIGTERM, then SIGKILL after GRACE) and removes the job directory. */
    @Override
    public void close() {
        if (stopping.compareAndSet(false, true)) {
            try {
                stopWorkers();
                removeJobDirectory();
            } finally {
                done.complete(null);
            }
        } else {
            try { // a failure or a clean finish is being handled: let it complete
                done.get(GRACE.toMillis() + 3000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                stopWorkers();
                removeJobDirectory();
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run
        }
        for (Worker w : workers) {
            try {
                w.pump().join(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }
}
