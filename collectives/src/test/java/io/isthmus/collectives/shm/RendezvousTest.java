package io.isthmus.collectives.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RendezvousTest {
    private final Path jobDir = JobDirectory.of("test-rdv-" + UUID.randomUUID());

    @AfterEach
    void removed() {
        JobDirectory.remove(jobDir);
        assertFalse(Files.exists(jobDir));
    }

    static RankInfo info(int rank) {
        return new RankInfo(rank, 1000 + rank, "host-a", rank * 2 + "-" + (rank * 2 + 1), rank % 2,
                JobDirectory.segmentFile(Path.of("job"), rank).getFileName().toString());
    }

    @Test
    void everyRankSeesEveryRegistrationInRankOrder() throws Exception {
        Files.createDirectories(jobDir);
        int world = 3;
        ExecutorService pool = Executors.newFixedThreadPool(world);
        try {
            List<Future<List<RankInfo>>> joins = new ArrayList<>();
            for (int rank = world - 1; rank >= 0; rank--) {
                RankInfo me = info(rank);
                joins.add(pool.submit(() -> Rendezvous.join(jobDir, me, world, Duration.ofSeconds(30))));
            }
            for (Future<List<RankInfo>> join : joins) {
                assertEquals(List.of(info(0), info(1), info(2)), join.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRankThatNeverRegistersTimesOutNamingIt() throws Exception {
        Files.createDirectories(jobDir);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            long start = System.nanoTime();
            List<Future<List<RankInfo>>> joins = List.of(
                    pool.submit(() -> Rendezvous.join(jobDir, info(0), 4, Duration.ofSeconds(3))),
                    pool.submit(() -> Rendezvous.join(jobDir, info(2), 4, Duration.ofSeconds(3))));
            for (Future<List<RankInfo>> join : joins) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> join.get(30, TimeUnit.SECONDS));
                PeerTimeoutException timeout = assertInstanceOf(PeerTimeoutException.class, e.getCause());
                assertEquals(List.of(1, 3), timeout.missingRanks());
                assertTrue(timeout.getMessage().contains("ranks 1 and 3 did not register"), timeout.getMessage());
            }
            // 3 s of waiting plus Chronicle Map's first-open class generation, which takes seconds on a loaded machine
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(45).toNanos());
        } finally {
            pool.shutdownNow();
        }
    }
}
