package io.isthmus.collectives.shm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** Runs one rank per thread, each with its own ShmCommunicator on the same job directory. */
final class RankThreads {
    private RankThreads() {
    }

    static <T> List<T> run(Path jobDir, int worldSize, ShmCommunicator.Options options,
            Function<ShmCommunicator, T> body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(worldSize);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int rank = 0; rank < worldSize; rank++) {
                int r = rank;
                futures.add(pool.submit(() -> {
                    try (ShmCommunicator comm = ShmCommunicator.create(jobDir, r, worldSize, options)) {
                        return body.apply(comm);
                    }
                }));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                try {
                    results.add(future.get(120, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof Exception cause ? cause : e;
                }
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
