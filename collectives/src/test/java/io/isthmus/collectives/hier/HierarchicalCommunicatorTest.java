package io.isthmus.collectives.hier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.collectives.Communicator;
import io.isthmus.collectives.InProcessCommunicator;
import io.isthmus.collectives.WireType;
import io.isthmus.collectives.tcp.RingData;
import io.isthmus.collectives.tcp.TcpCommunicator;
import io.isthmus.collectives.tcp.TcpOptions;
import io.isthmus.collectives.tcp.TcpRanks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

class HierarchicalCommunicatorTest {
    interface Body<T> {
        T run(HierarchicalCommunicator communicator) throws Exception;
    }

    @Test
    void twoHostsOfTwoRanksWithTcpBetweenLeadersEqualTheFlatCollectives() throws Exception {
        HostGroups hosts = HostGroups.contiguous(2, 2);
        TcpOptions options = TcpRanks.loopbackOptions();
        int[] lengths = {1, 7, 300_001};
        List<float[]> mixed = onRanks(hosts, host -> TcpCommunicator.create(host, hosts.hostCount(), options), comm -> {
            for (WireType wire : WireType.values()) {
                for (int length : lengths) {
                    float[] data = RingData.integers(comm.rank(), length, length);
                    comm.allReduceSum(data, 0, length, wire);
                    assertArrayEquals(RingData.integerSum(4, length, length), data, wire + " length " + length);
                }
            }
            checkAllGather(comm, 5);
            checkAllGather(comm, 100_001);
            checkBroadcasts(comm, 3_000_000);
            checkBarrier(comm);
            float[] data = RingData.mixed(comm.rank(), 0, 1000);
            comm.allReduceSum(data, 0, data.length, WireType.F32);
            return data;
        });
        double[][] exact = RingData.mixedSumAndMagnitude(4, 0, 1000);
        for (int rank = 0; rank < 4; rank++) {
            assertArrayEquals(mixed.get(0), mixed.get(rank), "rank " + rank + " differs from rank 0");
        }
        for (int i = 0; i < 1000; i++) {
            assertEquals(exact[0][i], mixed.get(0)[i], 4 * 0x1p-24 * exact[1][i], "element " + i);
        }
    }

    @Test
    void unevenInterleavedHostsGatherInGlobalRankOrder() throws Exception {
        // host 0 holds ranks 1 and 3 (leader 1), host 1 ranks 0, 2 and 4 (leader 0)
        HostGroups hosts = HostGroups.of(1, 0, 1, 0, 1);
        InProcessCommunicator[] leaders = InProcessCommunicator.group(hosts.hostCount());
        onRanks(hosts, host -> leaders[host], comm -> {
            for (WireType wire : WireType.values()) {
                float[] data = RingData.integers(comm.rank(), 3, 1001);
                comm.allReduceSum(data, 0, 1001, wire);
                assertArrayEquals(RingData.integerSum(5, 3, 1001), data, wire.toString());
            }
            checkAllGather(comm, 3);
            checkBroadcasts(comm, 100);
            checkBarrier(comm);
            return null;
        });
    }

    private static void checkAllGather(Communicator comm, int length) {
        float[] receive = new float[comm.worldSize() * length + 2];
        comm.allGather(RingData.mixed(comm.rank(), length, length), 0, length, receive, 1);
        for (int rank = 0; rank < comm.worldSize(); rank++) {
            assertArrayEquals(RingData.mixed(rank, length, length),
                    Arrays.copyOfRange(receive, 1 + rank * length, 1 + (rank + 1) * length), "block of rank " + rank);
        }
        assertEquals(0f, receive[0]);
        assertEquals(0f, receive[receive.length - 1]);
    }

    /** From every root in turn: leaders and non-leaders of either host. */
    private static void checkBroadcasts(Communicator comm, int length) {
        for (int root = comm.worldSize() - 1; root >= 0; root--) {
            byte[] message = new byte[length];
            new Random(root).nextBytes(message);
            byte[] data = comm.rank() == root ? message.clone() : new byte[length];
            comm.broadcast(data, 0, length, root);
            assertArrayEquals(message, data, "broadcast from rank " + root + " to rank " + comm.rank());
        }
    }

    private static final AtomicInteger ARRIVED = new AtomicInteger();

    private static void checkBarrier(Communicator comm) {
        comm.barrier();
        if (comm.rank() == 0) {
            ARRIVED.set(0);
        }
        comm.barrier();
        for (int phase = 1; phase <= 10; phase++) {
            ARRIVED.incrementAndGet();
            comm.barrier();
            assertTrue(ARRIVED.get() >= phase * comm.worldSize(), "rank " + comm.rank() + " left barrier " + phase + " early");
            comm.barrier();
        }
    }

    @Test
    void theCommunicatorsMustMatchTheMapping() {
        HostGroups hosts = HostGroups.contiguous(2, 2);
        InProcessCommunicator[] host0 = InProcessCommunicator.group(2);
        InProcessCommunicator[] leaders = InProcessCommunicator.group(2);
        assertEquals("rank 1: its host communicator is rank 0 of 2, but it is rank 1 of the 2 on host 0",
                assertThrows(IllegalArgumentException.class,
                        () -> new HierarchicalCommunicator(1, hosts, host0[0], null)).getMessage());
        assertEquals("rank 1 does not lead host 0 but got a leaders' communicator",
                assertThrows(IllegalArgumentException.class,
                        () -> new HierarchicalCommunicator(1, hosts, host0[1], leaders[0])).getMessage());
        assertEquals("rank 0 leads host 0 but got no leaders' communicator",
                assertThrows(IllegalArgumentException.class,
                        () -> new HierarchicalCommunicator(0, hosts, host0[0], null)).getMessage());
        assertEquals("rank 2: its leaders' communicator is rank 0 of 2, but it leads host 1 of 2",
                assertThrows(IllegalArgumentException.class,
                        () -> new HierarchicalCommunicator(2, hosts, host0[0], leaders[0])).getMessage());
        assertEquals("no rank is on host 1 of 3; hosts must be numbered 0..2 without gaps",
                assertThrows(IllegalArgumentException.class, () -> HostGroups.of(0, 2, 2)).getMessage());
    }

    /**
     * One thread per rank: InProcess communicators within each host, and {@code leadersOf(host)}
     * (called on the leader's own thread) among the leaders.
     */
    private static <T> List<T> onRanks(HostGroups hosts, IntFunction<Communicator> leadersOf, Body<T> body)
            throws Exception {
        InProcessCommunicator[][] local = new InProcessCommunicator[hosts.hostCount()][];
        for (int host = 0; host < hosts.hostCount(); host++) {
            local[host] = InProcessCommunicator.group(hosts.hostSize(host));
        }
        ExecutorService pool = Executors.newFixedThreadPool(hosts.worldSize());
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int rank = 0; rank < hosts.worldSize(); rank++) {
                int r = rank;
                int host = hosts.hostOf(r);
                futures.add(pool.submit(() -> {
                    Communicator leaders = hosts.isLeader(r) ? leadersOf.apply(host) : null;
                    try (HierarchicalCommunicator comm = new HierarchicalCommunicator(r, hosts,
                            local[host][hosts.localRank(r)], leaders)) {
                        return body.run(comm);
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
