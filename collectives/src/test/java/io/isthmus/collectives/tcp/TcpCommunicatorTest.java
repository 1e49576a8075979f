package io.isthmus.collectives.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.collectives.WireType;
import io.isthmus.collectives.shm.PeerTimeoutException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TcpCommunicatorTest {
    /** 1 and 2 leave chunks empty; 300 001 floats span many 64 KiB frames; the last is 4 MiB + 12 bytes. */
    private static final int[] LENGTHS = {1, 2, 5, 7, 1000, 300_001, (1 << 20) + 3};

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4})
    void allReduceOfIntegersIsTheExactSumInF32AndBf16(int worldSize) throws Exception {
        List<List<float[]>> results = TcpRanks.run(worldSize, TcpRanks.loopbackOptions(), comm -> {
            List<float[]> out = new ArrayList<>();
            for (WireType wire : WireType.values()) {
                for (int length : LENGTHS) {
                    float[] data = RingData.integers(comm.rank(), length, length + 2);
                    comm.allReduceSum(data, 1, length, wire); // an offset: the edges must stay untouched
                    out.add(data);
                }
            }
            return out;
        });
        int call = 0;
        for (WireType wire : WireType.values()) {
            for (int length : LENGTHS) {
                float[] expected = RingData.integerSum(worldSize, length, length + 2);
                for (int rank = 0; rank < worldSize; rank++) {
                    float[] got = results.get(rank).get(call);
                    float[] untouched = RingData.integers(rank, length, length + 2);
                    assertEquals(untouched[0], got[0], "element before the range");
                    assertEquals(untouched[length + 1], got[length + 1], "element after the range");
                    assertArrayEquals(Arrays.copyOfRange(expected, 1, length + 1), Arrays.copyOfRange(got, 1, length + 1),
                            wire + " length " + length + " on rank " + rank);
                }
                call++;
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4})
    void allReduceOfMixedMagnitudesGivesEveryRankTheSameBitsNearTheExactSum(int worldSize) throws Exception {
        int[] lengths = {3, 70_001};
        List<List<float[]>> results = TcpRanks.run(worldSize, TcpRanks.loopbackOptions(), comm -> {
            List<float[]> out = new ArrayList<>();
            for (WireType wire : WireType.values()) {
                for (int length : lengths) {
                    float[] data = RingData.mixed(comm.rank(), length, length);
                    comm.allReduceSum(data, 0, length, wire);
                    out.add(data);
                }
            }
            return out;
        });
        int call = 0;
        for (WireType wire : WireType.values()) {
            // f32: N−1 additions, each off by at most 2^-24 of the magnitude sum; bf16 (8 significant
            // bits): the contributions, the N−1 partial sums sent on and the final chunk are each
            // rounded, each off by at most 2^-8 of the magnitude sum
            double relative = wire == WireType.F32 ? worldSize * 0x1p-24 : (worldSize + 1) * 0x1p-8;
            for (int length : lengths) {
                double[][] exact = RingData.mixedSumAndMagnitude(worldSize, length, length);
                float[] first = results.get(0).get(call);
                for (int rank = 1; rank < worldSize; rank++) {
                    assertArrayEquals(first, results.get(rank).get(call), wire + " rank " + rank + " differs from rank 0");
                }
                for (int i = 0; i < length; i++) {
                    assertEquals(exact[0][i], first[i], relative * exact[1][i], wire + " element " + i);
                }
                call++;
            }
        }
    }

    @Test
    void consecutiveCollectivesOfEveryKindStayInStep() throws Exception {
        int worldSize = 3;
        int[] lengths = {7, 100_000, 1, 4096};
        TcpRanks.run(worldSize, TcpRanks.loopbackOptions(), comm -> {
            for (int call = 0; call < 40; call++) {
                int length = lengths[call % lengths.length];
                switch (call % 4) {
                    case 0, 1 -> {
                        WireType wire = call % 4 == 0 ? WireType.F32 : WireType.BF16;
                        float[] data = RingData.integers(comm.rank(), call, length);
                        comm.allReduceSum(data, 0, length, wire);
                        assertArrayEquals(RingData.integerSum(worldSize, call, length), data, "call " + call);
                    }
                    case 2 -> {
                        float[] all = new float[worldSize * length];
                        comm.allGather(RingData.integers(comm.rank(), call, length), 0, length, all, 0);
                        for (int rank = 0; rank < worldSize; rank++) {
                            assertArrayEquals(RingData.integers(rank, call, length),
                                    Arrays.copyOfRange(all, rank * length, (rank + 1) * length), "call " + call);
                        }
                    }
                    default -> {
                        int root = call % worldSize;
                        byte[] message = new byte[length];
                        new Random(call).nextBytes(message);
                        byte[] data = comm.rank() == root ? message.clone() : new byte[length];
                        comm.broadcast(data, 0, length, root);
                        assertArrayEquals(message, data, "call " + call);
                        comm.barrier();
                    }
                }
            }
            return null;
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4})
    void allGatherConcatenatesInRankOrder(int worldSize) throws Exception {
        int[] lengths = {1, 5, 300_001};
        List<List<float[]>> results = TcpRanks.run(worldSize, TcpRanks.loopbackOptions(), comm -> {
            List<float[]> out = new ArrayList<>();
            for (int length : lengths) {
                float[] receive = new float[worldSize * length + 3];
                comm.allGather(RingData.mixed(comm.rank(), length, length + 1), 1, length, receive, 2);
                out.add(receive);
            }
            return out;
        });
        for (int i = 0; i < lengths.length; i++) {
            int length = lengths[i];
            for (List<float[]> perRank : results) {
                float[] receive = perRank.get(i);
                for (int rank = 0; rank < worldSize; rank++) {
                    float[] sent = RingData.mixed(rank, length, length + 1);
                    assertArrayEquals(Arrays.copyOfRange(sent, 1, length + 1),
                            Arrays.copyOfRange(receive, 2 + rank * length, 2 + (rank + 1) * length));
                }
                assertEquals(0f, receive[0]);
                assertEquals(0f, receive[receive.length - 1]);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4})
    void broadcastFromNonZeroRoots(int worldSize) throws Exception {
        int[] lengths = {13, 3_000_000};
        int[] roots = {1, worldSize - 1};
        List<List<byte[]>> results = TcpRanks.run(worldSize, TcpRanks.loopbackOptions(), comm -> {
            List<byte[]> out = new ArrayList<>();
            for (int root : roots) {
                for (int length : lengths) {
                    byte[] data = comm.rank() == root ? message(length) : new byte[length + 2];
                    comm.broadcast(data, 1, length, root);
                    out.add(data);
                }
            }
            return out;
        });
        for (List<byte[]> perRank : results) {
            int call = 0;
            for (int root : roots) {
                for (int length : lengths) {
                    assertArrayEquals(message(length), perRank.get(call++), "root " + root + ", " + length + " bytes");
                }
            }
        }
    }

    /** length bytes of noise between a zero byte on either side. */
    private static byte[] message(int length) {
        byte[] noise = new byte[length];
        new Random(length).nextBytes(noise);
        byte[] message = new byte[length + 2];
        System.arraycopy(noise, 0, message, 1, length);
        return message;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4})
    void barrierHoldsEveryRankUntilAllArrive(int worldSize) throws Exception {
        AtomicInteger arrived = new AtomicInteger();
        TcpRanks.run(worldSize, TcpRanks.loopbackOptions(), comm -> {
            for (int phase = 1; phase <= 30; phase++) {
                if (comm.rank() == phase % worldSize) {
                    Thread.sleep(2); // a late rank: the others must wait for it
                }
                arrived.incrementAndGet();
                comm.barrier();
                assertTrue(arrived.get() >= phase * worldSize, "rank " + comm.rank() + " left barrier " + phase + " early");
                comm.barrier(); // nobody starts the next phase before everyone checked this one
            }
            return null;
        });
        assertEquals(30 * worldSize, arrived.get());
    }

    @Test
    void aRankThatNeverRegistersTimesOutNamingIt() throws Exception {
        TcpOptions options = TcpRanks.loopbackOptions().withTimeouts(Duration.ofMillis(1000), Duration.ofSeconds(20));
        long start = System.nanoTime();
        List<Object> outcomes = TcpRanks.outcomes(2, 3, options, comm -> "joined");
        long elapsed = System.nanoTime() - start;
        for (int rank = 0; rank < 2; rank++) {
            PeerTimeoutException e = assertInstanceOf(PeerTimeoutException.class, outcomes.get(rank), "rank " + rank);
            assertEquals(List.of(2), e.missingRanks());
            assertEquals("rank " + rank + ": rank 2 did not register with the bootstrap at 127.0.0.1:" + options.masterPort()
                    + " within 1000 ms", e.getMessage());
        }
        assertTrue(elapsed < Duration.ofSeconds(6).toNanos(), "gave up after " + elapsed / 1_000_000 + " ms");
    }

    @Test
    void aRankThatRegistersButNeverConnectsIsNamedByTheRankItShouldConnectTo() throws Exception {
        TcpOptions options = TcpRanks.loopbackOptions().withTimeouts(Duration.ofMillis(1500), Duration.ofSeconds(20));
        // rank 2 registers a data port whose socket accepts into its backlog but never reads or connects on
        try (ServerSocket silent = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            Thread fake = Thread.ofPlatform().start(() -> TcpBootstrap.exchange(2, 3, silent.getLocalPort(), options,
                    System.nanoTime() + options.joinTimeout().toNanos()));
            List<Object> outcomes = TcpRanks.outcomes(2, 3, options, comm -> "joined");
            fake.join(10_000);
            PeerTimeoutException e = assertInstanceOf(PeerTimeoutException.class, outcomes.get(0));
            assertEquals(List.of(2), e.missingRanks());
            assertEquals("rank 0: rank 2 did not open its ring connection within 1500 ms", e.getMessage());
            // rank 1 connected to rank 2's backlog; it learns of the failure when rank 0 gives up
            RuntimeException other = assertInstanceOf(RuntimeException.class, outcomes.get(1));
            assertTrue(other.getMessage().startsWith("rank 1: "), other.getMessage());
            assertTrue(other.getMessage().contains("rank 0"), other.getMessage());
        }
    }

    @Test
    void aRankThatNeverCallsTheCollectiveTimesOutNamingIt() throws Exception {
        TcpOptions options = TcpRanks.loopbackOptions().withTimeouts(Duration.ofSeconds(20), Duration.ofMillis(500));
        CountDownLatch checked = new CountDownLatch(1);
        TcpRanks.run(2, options, comm -> {
            if (comm.rank() == 0) {
                assertTrue(checked.await(20, TimeUnit.SECONDS)); // stays connected, calls nothing
                return null;
            }
            try {
                long start = System.nanoTime();
                PeerTimeoutException e = assertThrows(PeerTimeoutException.class, () -> comm.allReduceSum(new float[8], 0, 8));
                long elapsed = System.nanoTime() - start;
                assertTrue(elapsed < Duration.ofSeconds(3).toNanos(), "timed out after " + elapsed / 1_000_000 + " ms");
                assertEquals(List.of(0), e.missingRanks());
                assertEquals("rank 1: rank 0 did not send its part of allReduceSum #1 (f32, 8 elements) within 500 ms",
                        e.getMessage());
                IllegalStateException broken = assertThrows(IllegalStateException.class, comm::barrier);
                assertTrue(broken.getMessage().contains("broken by an earlier failure"), broken.getMessage());
            } finally {
                checked.countDown();
            }
            return null;
        });
    }

    @Test
    void ranksInDifferentCollectivesAreToldWhichOnes() throws Exception {
        List<Object> outcomes = TcpRanks.outcomes(2, TcpRanks.loopbackOptions(), comm -> {
            if (comm.rank() == 0) {
                comm.barrier();
            } else {
                comm.allReduceSum(new float[10], 0, 10, WireType.BF16);
            }
            return "no error";
        });
        assertEquals("rank 0: rank 1 sent a frame of allReduceSum #1 (bf16, 10 elements) while this rank is in barrier #1;"
                        + " every rank must call the same collectives in the same order with the same lengths",
                assertInstanceOf(CollectiveMismatchException.class, outcomes.get(0)).getMessage());
        assertTrue(assertInstanceOf(CollectiveMismatchException.class, outcomes.get(1)).getMessage()
                .startsWith("rank 1: rank 0 sent a frame of barrier #1 while this rank is in allReduceSum #1 (bf16, 10 elements)"));
    }

    @Test
    void differentLengthsAreAMismatchToo() throws Exception {
        List<Object> outcomes = TcpRanks.outcomes(2, TcpRanks.loopbackOptions(), comm -> {
            comm.allGather(new float[5], 0, comm.rank() == 0 ? 4 : 5, new float[10], 0);
            return "no error";
        });
        assertTrue(assertInstanceOf(CollectiveMismatchException.class, outcomes.get(0)).getMessage()
                .startsWith("rank 0: rank 1 sent a frame of allGather #1 (5 elements per rank) while this rank is in allGather #1 (4 elements per rank)"));
    }

    @Test
    void aRankThatLeavesIsNamedAtOnceNotAfterTheTimeout() throws Exception {
        TcpOptions options = TcpRanks.loopbackOptions().withTimeouts(Duration.ofSeconds(20), Duration.ofSeconds(20));
        List<Object> outcomes = TcpRanks.outcomes(3, options, comm -> {
            if (comm.rank() == 2) {
                return "left"; // closes its communicator at once
            }
            long start = System.nanoTime();
            RuntimeException e = assertThrows(RuntimeException.class, () -> {
                for (int i = 0; i < 1000; i++) {
                    comm.allReduceSum(new float[1000], 0, 1000);
                }
            });
            long elapsed = System.nanoTime() - start;
            assertTrue(elapsed < Duration.ofSeconds(5).toNanos(), "noticed after " + elapsed / 1_000_000 + " ms");
            return e.getMessage();
        });
        assertEquals("left", outcomes.get(2));
        // rank 0 receives from rank 2, rank 1 sends to it; rank 0 may see rank 1's failure first, as it cascades
        String rank0 = (String) outcomes.get(0);
        String rank1 = (String) outcomes.get(1);
        assertTrue(rank0.startsWith("rank 0: the connection from rank 2 closed") || rank0.startsWith("rank 0: cannot send to rank 1"),
                rank0);
        assertTrue(rank1.startsWith("rank 1: cannot send to rank 2") || rank1.startsWith("rank 1: the connection from rank 0 closed"),
                rank1);
    }

    @Test
    void closeReleasesEveryPortAndThread() throws Exception {
        TcpOptions options = TcpRanks.loopbackOptions().withTimeouts(Duration.ofSeconds(20), Duration.ofSeconds(20));
        List<Integer> ports = new ArrayList<>(TcpRanks.run(3, options, comm -> {
            comm.barrier();
            return comm.dataPort();
        }));
        ports.add(options.masterPort());
        for (int port : ports) {
            try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                assertEquals(port, again.getLocalPort());
            }
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (eventLoopThreads() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, eventLoopThreads(), "event-loop threads left running");
    }

    private static long eventLoopThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("isthmus-tcp-rank") && t.isAlive()).count();
    }

    @Test
    void aWorldOfOneNeedsNoNetwork() {
        try (TcpCommunicator comm = TcpCommunicator.create(0, 1, TcpOptions.of("no-such-host.invalid", 1))) {
            float[] data = {1.5f, -2f};
            comm.allReduceSum(data, 0, 2, WireType.BF16);
            assertArrayEquals(new float[] {1.5f, -2f}, data);
            float[] all = new float[2];
            comm.allGather(data, 0, 2, all, 0);
            assertArrayEquals(data, all);
            comm.broadcast(new byte[3], 0, 3, 0);
            comm.barrier();
            assertEquals(-1, comm.dataPort());
        }
    }

    @Test
    void optionsComeFromTheEnvironmentAsTorchNamesThem() {
        TcpOptions options = TcpOptions.fromEnvironment(Map.of("ISTHMUS_MASTER_ADDR", "10.0.0.7", "ISTHMUS_MASTER_PORT", "29500"));
        assertEquals("10.0.0.7", options.masterHost());
        assertEquals(29500, options.masterPort());
        assertEquals("ISTHMUS_MASTER_ADDR is not set (the host where rank 0 runs the bootstrap)",
                assertThrows(IllegalArgumentException.class,
                        () -> TcpOptions.fromEnvironment(Map.of("ISTHMUS_MASTER_PORT", "29500"))).getMessage());
        assertEquals("ISTHMUS_MASTER_PORT is not set (the bootstrap's port on h)",
                assertThrows(IllegalArgumentException.class,
                        () -> TcpOptions.fromEnvironment(Map.of("ISTHMUS_MASTER_ADDR", "h"))).getMessage());
        assertEquals("ISTHMUS_MASTER_PORT=70000 is not a port number (1-65535)",
                assertThrows(IllegalArgumentException.class, () -> TcpOptions.fromEnvironment(
                        Map.of("ISTHMUS_MASTER_ADDR", "h", "ISTHMUS_MASTER_PORT", "70000"))).getMessage());
        assertEquals("ISTHMUS_MASTER_PORT=x is not a port number (1-65535)",
                assertThrows(IllegalArgumentException.class, () -> TcpOptions.fromEnvironment(
                        Map.of("ISTHMUS_MASTER_ADDR", "h", "ISTHMUS_MASTER_PORT", "x"))).getMessage());
    }
}
