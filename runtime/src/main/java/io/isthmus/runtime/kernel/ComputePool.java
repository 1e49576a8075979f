package io.isthmus.runtime.kernel;

import io.isthmus.numa.Affinity;
import io.isthmus.numa.CpuSet;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * A fixed team of compute threads for data-parallel kernels, one per CPU, each pinned to its own
 * CPU. The thread calling {@link #parallelFor} takes part as worker 0 (a thread dedicated to
 * driving the pool pins itself to the first CPU with {@link #pinAsDriver()}), workers 1..size-1
 * are daemon threads owned by the pool.
 *
 * <p>Hand-off: the caller publishes a new {@link Region} in a volatile field; workers spin on it
 * (with {@link Thread#onSpinWait()}) for {@link #SPIN_NANOS} after their last region before they
 * park, so back-to-back regions (the layers of a decode step) cost a cache-line round trip, not a
 * wake-up. Work is claimed from per-share counters in the region, and the join waits for the
 * region's grains to be done, not for every worker to check in: a worker that the host has taken
 * off its CPU for a scheduler slice (~3 ms on this project's VM) before it saw the region costs
 * the region half its throughput, not the whole slice. A worker that sees a region late finds its
 * counters used up and runs nothing, so it can never run an old task after the caller returned.
 *
 * <p>Regions are not nested: a {@code parallelFor} from inside a task runs inline on the calling
 * worker. Concurrent callers from different threads take turns.
 */
public final class ComputePool implements AutoCloseable {

    /** What a region runs: the half-open range {@code [from, to)} on worker {@code worker}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to, int worker);
    }

    /** How long an idle worker spins before it parks. */
    static final long SPIN_NANOS = 2_000_000;

    /**
     * Whether {@link #parallelForBalanced} shares out work in chunks ({@code isthmus.pool.balanced},
     * default true); false makes it {@link #parallelFor}, for comparing the two.
     */
    static final boolean BALANCED = !"false".equals(System.getProperty("isthmus.pool.balanced"));
    /** Chunks each worker's share is cut into for {@link #parallelForBalanced}. */
    private static final int CHUNKS_PER_SHARE = 8;

    private static final System.Logger LOG = System.getLogger(ComputePool.class.getName());

    private final int size;
    private final int[] cpus;       // cpus[w] is worker w's CPU, or null when not pinning
    private final Worker[] workers; // index 0 unused (the caller)
    private final ReentrantLock callerLock = new ReentrantLock();
    /** Called by a worker with its index each time it sees a new region, before it claims work (tests delay workers with it). */
    private final IntConsumer onRegionSeen;

    @SuppressWarnings("unused") private long p0, p1, p2, p3, p4, p5, p6; // keep the hot word apart
    /** The latest region; a new object each time, so seeing it change is the hand-off signal. */
    private volatile Region region = Region.NONE;
    @SuppressWarnings("unused") private long q0, q1, q2, q3, q4, q5, q6;
    private volatile boolean closed;
    private volatile boolean pinningFailed;
    /** Bumped by {@link #quiesce()}: idle workers that see it change stop spinning and park. */
    private volatile long quiesceRequests;

    /** One worker per CPU this process may use, pinned. */
    public ComputePool() {
        this(Affinity.currentAffinity(), true);
    }

    /**
     * {@code threads} workers, pinned to the first {@code threads} CPUs this process may use; with
     * more threads than CPUs (useful in tests only) they run unpinned.
     */
    public ComputePool(int threads) {
        this(threads, allowedOrNull());
    }

    private ComputePool(int threads, CpuSet allowed) {
        this(allowed != null && threads <= allowed.size()
                        ? CpuSet.of(java.util.Arrays.copyOf(allowed.toArray(), threads))
                        : CpuSet.range(0, checkThreads(threads) - 1),
                allowed != null && threads <= allowed.size());
    }

    /** One worker per CPU of {@code cpus}, pinned when {@code pin}. */
    public ComputePool(CpuSet cpus, boolean pin) {
        this(cpus, pin, worker -> { });
    }

    /** As {@link #ComputePool(int)}, with {@code onRegionSeen} called by each worker as it sees a region. */
    ComputePool(int threads, IntConsumer onRegionSeen) {
        this(CpuSet.range(0, checkThreads(threads) - 1), false, onRegionSeen);
    }

    private ComputePool(CpuSet cpus, boolean pin, IntConsumer onRegionSeen) {
        if (cpus.isEmpty()) {
            throw new IllegalArgumentException("compute pool needs at least one CPU");
        }
        this.size = cpus.size();
        this.cpus = pin ? cpus.toArray() : null;
        this.workers = new Worker[size];
        this.onRegionSeen = onRegionSeen;
        for (int w = 1; w < size; w++) {
            workers[w] = new Worker(w);
            workers[w].start();
        }
    }

    private static int checkThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be positive, not " + threads);
        }
        return threads;
    }

    private static CpuSet allowedOrNull() {
        try {
            return Affinity.currentAffinity();
        } catch (RuntimeException | LinkageError e) {
            LOG.log(System.Logger.Level.WARNING, "cannot read CPU affinity (" + e.getMessage()
                    + "); compute threads run unpinned");
            return null;
        }
    }

    /** Number of workers, the caller included. */
    public int size() {
        return size;
    }

    /** Runs {@code task} over {@code [0, n)} split into one contiguous range per worker. */
    public void parallelFor(int n, RangeTask task) {
        parallelFor(n, 1, task);
    }

    /**
     * Runs {@code task} over {@code [0, n)} split into one contiguous range per worker, each range
     * starting at a multiple of {@code grain} (so blocks of rows line up with caches). A range whose
     * worker has not started it when another worker is done with its own is run by that other
     * worker instead (the task may be called more than once on a worker); empty ranges are not
     * run. Returns when every range is done; the first exception thrown by a task is rethrown here.
     */
    public void parallelFor(int n, int grain, RangeTask task) {
        region(n, grain, task, 1);
    }

    /**
     * As {@link #parallelFor(int, int, RangeTask)}, but a worker that finishes its share early takes
     * chunks of the others' that they have not started, not only whole shares: each share is cut into
     * {@value #CHUNKS_PER_SHARE} chunks that its owner claims front to back from a counter on its
     * own cache line, and the others claim from the same counter once theirs are done. On a host
     * where one CPU runs slower than another for a while (a busy neighbour, a hypervisor), the
     * region then ends when the work is done instead of when the slower share is. The task may be
     * called several times per worker, with any ranges that start at a multiple of {@code grain}.
     *
     * <p>Measured on this project's 2-vCPU VM (prose-llama-35m q8_0 decode, 2 threads, ~25 regions
     * a token): in a noisy minute the caller waited 21 µs per region at the join with static shares
     * (1.86 ms/token) against 1.2 µs balanced (1.36 ms/token); in quiet minutes both wait ~1.5 µs.
     */
    public void parallelForBalanced(int n, int grain, RangeTask task) {
        region(n, grain, task, BALANCED ? CHUNKS_PER_SHARE : 1);
    }

    private void region(int n, int grain, RangeTask task, int chunksPerShare) {
        if (n < 0 || grain < 1) {
            throw new IllegalArgumentException("bad region: n=" + n + ", grain=" + grain);
        }
        if (n == 0) {
            return;
        }
        if (Thread.currentThread() instanceof Worker w) { // nested: run inline
            task.run(0, n, w.index);
            return;
        }
        if (size == 1 || n <= grain || callerLock.isHeldByCurrentThread()) {
            task.run(0, n, 0);
            return;
        }
        if (closed) {
            throw new IllegalStateException("compute pool is closed");
        }
        callerLock.lock();
        try {
            Region r = new Region(task, n, grain, size, chunksPerShare, quiesceRequests);
            region = r;
            for (int w = 1; w < size; w++) {
                if (workers[w].parked) {
                    LockSupport.unpark(workers[w]);
                }
            }
            r.run(0);
            while (!r.done()) {
                Thread.onSpinWait();
            }
            Throwable t = r.failure.get();
            if (t != null) {
                throw rethrow(t);
            }
        } finally {
            callerLock.unlock();
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new RuntimeException(t);
    }

    /**
     * Pins the calling thread to worker 0's CPU (the share the caller computes). For a thread
     * dedicated to driving this pool, such as an engine's generation thread: the pool never pins
     * callers itself, because a pinned thread keeps its one-CPU mask and passes it on to every
     * thread it creates afterwards.
     */
    public void pinAsDriver() {
        if (cpus != null) {
            pin(0);
        }
    }

    private void pin(int w) {
        try {
            Affinity.pinCurrentThread(cpus[w]);
        } catch (RuntimeException | LinkageError e) {
            if (!pinningFailed) { // racy by design: at most a few duplicate warnings
                pinningFailed = true;
                LOG.log(System.Logger.Level.WARNING, "cannot pin compute threads (" + e.getMessage()
                        + "); they run unpinned");
            }
        }
    }

    /**
     * Makes idle workers park now instead of spinning out {@link #SPIN_NANOS}: call it before work
     * that runs on other threads of the same cores (oneDNN's OpenMP team), so the two never share
     * a core. The next region wakes them as usual.
     */
    public void quiesce() {
        quiesceRequests++; // racy increments are fine: any change is seen
    }

    /** The CPUs of the workers (worker w on the w-th), or the CPUs this process may use when they are not pinned. */
    public CpuSet cpus() {
        return cpus != null ? CpuSet.of(cpus) : allowedOrAll(size);
    }

    private static CpuSet allowedOrAll(int threads) {
        CpuSet allowed = allowedOrNull();
        return allowed != null ? allowed : CpuSet.range(0, threads - 1);
    }

    /** Whether pinning failed for some thread (the pool then runs unpinned). */
    public boolean pinningFailed() {
        return pinningFailed;
    }

    /** Stops the workers; later regions throw. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        region = Region.empty();
        for (int w = 1; w < size; w++) {
            LockSupport.unpark(workers[w]);
        }
        for (int w = 1; w < size; w++) {
            try {
                workers[w].join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private final class Worker extends Thread {
        final int index;
        volatile boolean parked;

        Worker(int index) {
            super("isthmus-compute-" + index);
            this.index = index;
            setDaemon(true);
        }

        @Override
        public void run() {
            if (cpus != null) {
                pin(index);
            }
            Region seen = Region.NONE; // the field's first value: a region posted before this line still counts
            long quiesced = quiesceRequests;
            while (true) {
                Region r = await(seen, quiesced);
                if (closed) {
                    return;
                }
                seen = r;
                quiesced = r.quiesceMark; // a quiesce() after the region was posted is then seen, however late this worker is
                onRegionSeen.accept(index);
                r.run(index);
            }
        }

        /** Waits for a region other than {@code seen}: spin first (until a quiesce after {@code quiesced}), then park. */
        private Region await(Region seen, long quiesced) {
            Region r;
            long spinStart = 0;
            for (int i = 0; ; i++) {
                r = region;
                if (r != seen) {
                    return r;
                }
                if (quiesceRequests != quiesced) {
                    break;
                }
                if ((i & 1023) == 1023) {
                    long now = System.nanoTime();
                    if (spinStart == 0) {
                        spinStart = now;
                    } else if (now - spinStart > SPIN_NANOS) {
                        break;
                    }
                }
                Thread.onSpinWait();
            }
            while (true) {
                parked = true;
                r = region; // re-check after announcing: the caller reads parked after publishing
                if (r != seen) {
                    parked = false;
                    return r;
                }
                LockSupport.park(this);
                parked = false;
                r = region;
                if (r != seen) {
                    return r;
                }
            }
        }
    }
}
