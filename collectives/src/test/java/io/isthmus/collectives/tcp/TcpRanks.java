package io.isthmus.collectives.tcp;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Runs the ranks of a TCP job as threads of this JVM, over loopback. */
public final class TcpRanks {
    interface Body<T> {
        T run(TcpCommunicator communicator) throws Exception;
    }

    private TcpRanks() {
    }

    /** Loopback only, a fresh master port, small frames (so long messages span many), 20 s timeouts. */
    public static TcpOptions loopbackOptions() {
        return TcpOptions.of("127.0.0.1", FreePorts.belowEphemeralRange()).withListenHost("127.0.0.1").withFrameBytes(64 << 10)
                .withTimeouts(Duration.ofSeconds(20), Duration.ofSeconds(20));
    }

    /** Each rank's result; throws the first rank's exception. */
    static <T> List<T> run(int worldSize, TcpOptions options, Body<T> body) throws Exception {
        List<T> results = new ArrayList<>();
        for (Object outcome : outcomes(worldSize, options, body)) {
            if (outcome instanceof Exception e) {
                throw e;
            }
            if (outcome instanceof Error e) {
                throw e;
            }
            @SuppressWarnings("unchecked")
            T result = (T) outcome;
            results.add(result);
        }
        return results;
    }

    /** Each rank's result or the Throwable it ended with (from create, the body or close). */
    static <T> List<Object> outcomes(int worldSize, TcpOptions options, Body<T> body) throws InterruptedException {
        return outcomes(worldSize, worldSize, options, body);
    }

    /** As {@link #outcomes(int, TcpOptions, Body)}, starting only ranks 0 .. started−1 of the world. */
    static <T> List<Object> outcomes(int started, int worldSize, TcpOptions options, Body<T> body)
            throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(started);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int rank = 0; rank < started; rank++) {
                int r = rank;
                futures.add(pool.submit(() -> {
                    try (TcpCommunicator communicator = TcpCommunicator.create(r, worldSize, options)) {
                        return body.run(communicator);
                    }
                }));
            }
            List<Object> outcomes = new ArrayList<>();
            for (Future<T> future : futures) {
                try {
                    outcomes.add(future.get(180, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    outcomes.add(e.getCause());
                } catch (java.util.concurrent.TimeoutException e) {
                    outcomes.add(new AssertionError("a rank did not finish within 180 s", e));
                }
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }
}
