package io.isthmus.collectives.shm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.collectives.WireType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ShmCommunicatorTest {
    /** 1 MiB buffers: chunks of 256 Ki floats, so the large sizes below span several chunks. */
    private static final ShmCommunicator.Options SMALL_BUFFERS =
            new ShmCommunicator.Options(1 << 20, 1 << 20, Duration.ofSeconds(60), Duration.ofSeconds(60));

    private final Path jobDir = JobDirectory.of("test-" + UUID.randomUUID());

    @AfterEach
    void nothingLeftInDevShm() throws IOException {
        assertFalse(Files.exists(jobDir), jobDir + " left behind");
        try (Stream<Path> entries = Files.list(JobDirectory.SHM_ROOT)) {
            assertEquals(List.of(), entries.filter(p -> p.getFileName().toString().startsWith(jobDir.getFileName().toString())).toList());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void allReduceF32IsTheSequentialSumBitForBit(int worldSize) throws Exception {
        checkAllReduce(worldSize, WireType.F32, SMALL_BUFFERS, 1, 7, 1024, (1 << 18) + 3, 1 << 20);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void allReduceBf16SumsWireRoundedValuesInF32(int worldSize) throws Exception {
        checkAllReduce(worldSize, WireType.BF16, SMALL_BUFFERS, 1, 7, 1024, (1 << 19) + 3, 1 << 20);
    }

    @Test
    void allReduceWithDefaultOptionsTakesBothPaths() throws Exception {
        checkAllReduce(2, WireType.F32, ShmCommunicator.Options.defaults(), 4096, (1 << 18) + 3, 1 << 20);
    }

    private void checkAllReduce(int worldSize, WireType wire, ShmCommunicator.Options options, int... lengths)
            throws Exception {
        List<List<float[]>> results = RankThreads.run(jobDir, worldSize, options, comm ->
                java.util.Arrays.stream(lengths).mapToObj(length -> {
                    float[] data = Contributions.of(comm.rank(), length, length + 2);
                    comm.allReduceSum(data, 1, length, wire); // an offset: the edges must stay untouched
                    return data;
                }).toList());
        for (int i = 0; i < lengths.length; i++) {
            int length = lengths[i];
            float[] expected = Contributions.sequentialSum(worldSize, length, length + 2, wire);
            float[] exactF32 = Contributions.sequentialSum(worldSize, length, length + 2, WireType.F32);
            for (int rank = 0; rank < worldSize; rank++) {
                float[] got = results.get(rank).get(i);
                float[] untouched = Contributions.of(rank, length, length + 2);
                assertEquals(untouched[0], got[0], "element before the range");
                assertEquals(untouched[length + 1], got[length + 1], "element after the range");
                for (int k = 1; k <= length; k++) {
                    if (Float.floatToRawIntBits(expected[k]) != Float.floatToRawIntBits(got[k])) {
                        throw new AssertionError(wire + " length " + length + " rank " + rank + " element " + k
                                + ": expected " + expected[k] + " got " + got[k]);
                    }
                    if (wire == WireType.BF16) {
                        // each of the worldSize contributions is off by at most 2^-8 of itself (|x| <= 256)
                        assertEquals(exactF32[k], got[k], worldSize * 256 * 0x1p-8f);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void consecutiveCallsOfAlternatingSizesNeverRace(int worldSize) throws Exception {
        int[] lengths = {7, 300_000, 4096, 1, 70_000};
        RankThreads.run(jobDir, worldSize, SMALL_BUFFERS, comm -> {
            for (int call = 0; call < 100; call++) {
                int length = lengths[call % lengths.length];
                WireType wire = call % 3 == 0 ? WireType.BF16 : WireType.F32;
                float[] data = Contributions.of(comm.rank(), call, length);
                comm.allReduceSum(data, 0, length, wire);
                float[] expected = Contributions.sequentialSum(worldSize, call, length, wire);
                assertArrayEquals(expected, data, "call " + call + " on rank " + comm.rank());
            }
            return null;
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void allGatherConcatenatesInRankOrder(int worldSize) throws Exception {
        for (int length : new int[] {5, 300_001}) {
            List<float[]> results = RankThreads.run(jobDir, worldSize, SMALL_BUFFERS, comm -> {
                float[] receive = new float[worldSize * length + 3];
                comm.allGather(Contributions.of(comm.rank(), 0, length + 1), 1, length, receive, 2);
                return receive;
            });
            for (float[] receive : results) {
                for (int rank = 0; rank < worldSize; rank++) {
                    float[] sent = Contributions.of(rank, 0, length + 1);
                    assertArrayEquals(java.util.Arrays.copyOfRange(sent, 1, length + 1),
                            java.util.Arrays.copyOfRange(receive, 2 + rank * length, 2 + (rank + 1) * length));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void broadcastFromANonZeroRoot(int worldSize) throws Exception {
        int root = worldSize - 1;
        for (int length : new int[] {13, 3_000_000}) {
            byte[] message = new byte[length];
            new java.util.Random(length).nextBytes(message);
            List<byte[]> results = RankThreads.run(jobDir, worldSize, SMALL_BUFFERS, comm -> {
                byte[] data = comm.rank() == root ? message.clone() : new byte[length];
                comm.broadcast(data, 0, length, root);
                return data;
            });
            results.forEach(data -> assertArrayEquals(message, data));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void barrierHoldsEveryRankUntilAllArrive(int worldSize) throws Exception {
        AtomicInteger arrived = new AtomicInteger();
        RankThreads.run(jobDir, worldSize, SMALL_BUFFERS, comm -> {
            for (int phase = 1; phase <= 50; phase++) {
                arrived.incrementAndGet();
                comm.barrier();
                assertTrue(arrived.get() >= phase * worldSize, "left barrier " + phase + " early");
                comm.barrier(); // nobody starts the next phase before everyone checked this one
            }
            return null;
        });
        assertEquals(50 * worldSize, arrived.get());
    }

    @Test
    void aRankThatNeverJoinsTimesOutNamingIt() throws Exception {
        ShmCommunicator.Options options = SMALL_BUFFERS.withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(60));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            long start = System.nanoTime();
            List<Future<ShmCommunicator>> joins = List.of(
                    pool.submit(() -> ShmCommunicator.create(jobDir, 0, 3, options)),
                    pool.submit(() -> ShmCommunicator.create(jobDir, 1, 3, options)));
            for (Future<ShmCommunicator> join : joins) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> join.get(10, TimeUnit.SECONDS));
                PeerTimeoutException timeout = assertInstanceOf(PeerTimeoutException.class, e.getCause());
                assertEquals(List.of(2), timeout.missingRanks());
                assertTrue(timeout.getMessage().contains("rank 2 did not create their segments"), timeout.getMessage());
            }
            long elapsed = System.nanoTime() - start;
            assertTrue(elapsed >= Duration.ofMillis(500).toNanos() && elapsed < Duration.ofSeconds(3).toNanos(),
                    "timed out after " + elapsed / 1_000_000 + " ms");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRankThatNeverCallsTheCollectiveTimesOutNamingIt() throws Exception {
        ShmCommunicator.Options options = SMALL_BUFFERS.withTimeouts(Duration.ofSeconds(60), Duration.ofMillis(500));
        RankThreads.run(jobDir, 2, options, comm -> {
            if (comm.rank() == 1) {
                long start = System.nanoTime();
                PeerTimeoutException e = assertThrows(PeerTimeoutException.class,
                        () -> comm.allReduceSum(new float[8], 0, 8));
                long elapsed = System.nanoTime() - start;
                assertTrue(elapsed < Duration.ofSeconds(3).toNanos(), "timed out after " + elapsed / 1_000_000 + " ms");
                assertEquals(List.of(0), e.missingRanks());
                assertTrue(e.getMessage().startsWith("rank 1: rank 0 did not reach allReduceSum"), e.getMessage());
                assertThrows(IllegalStateException.class, comm::barrier, "a broken communicator stays broken");
            }
            return null;
        });
    }

    @Test
    void ranksThatCloseRightAfterJoiningStrandNoPeer() throws Exception {
        // create() returns only once every rank mapped every segment: otherwise the owner's close
        // could remove its file (and the directory) before a slower peer ever saw it
        ShmCommunicator.Options options = SMALL_BUFFERS.withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5));
        for (int attempt = 0; attempt < 30; attempt++) {
            RankThreads.run(jobDir, 3, options, comm -> null);
        }
    }
}
