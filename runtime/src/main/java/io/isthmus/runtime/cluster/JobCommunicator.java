package io.isthmus.runtime.cluster;

import io.isthmus.collectives.Communicator;
import io.isthmus.collectives.WireType;
import io.isthmus.collectives.hier.HierarchicalCommunicator;
import io.isthmus.collectives.shm.ShmCommunicator;
import io.isthmus.collectives.tcp.TcpCommunicator;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A rank's communicator for the whole job, the same for the driver and the followers: shared
 * memory among the ranks of this host; on a job of several hosts, wrapped in a
 * {@link HierarchicalCommunicator} whose leaders (each host's local rank 0) talk over TCP.
 */
final class JobCommunicator {

    private JobCommunicator() {
    }

    /**
     * Joins the job's collectives as local rank {@code localRank} of {@code localWorld} on this host.
     * Every host must run {@code localWorld} ranks: the leaders compare their counts once connected
     * and fail, naming the hosts, where they differ.
     *
     * @param joinTimeout how long to wait for the other ranks to join
     * @param timeout     how long a collective waits for a live peer
     */
    static Communicator connect(Path jobDirectory, int localRank, int localWorld, HostLayout hosts,
                                Duration joinTimeout, Duration timeout) {
        ShmCommunicator local = ShmCommunicator.create(jobDirectory, localRank, localWorld,
                ShmCommunicator.Options.defaults().withTimeouts(joinTimeout, timeout));
        if (!hosts.isMultiHost()) {
            return local;
        }
        TcpCommunicator leaders = null;
        try {
            if (localRank == 0) {
                leaders = TcpCommunicator.create(hosts.hostRank(), hosts.hosts(),
                        hosts.tcpOptions().withTimeouts(joinTimeout, timeout));
                checkSameRanksPerHost(leaders, localWorld);
            }
            return new HierarchicalCommunicator(hosts.globalRank(localRank, localWorld), hosts.hostGroups(localWorld),
                    local, leaders == null ? null : new HostLinks(leaders));
        } catch (RuntimeException | Error e) {
            if (leaders != null) {
                leaders.close();
            }
            local.close();
            throw e;
        }
    }

    /**
     * The leaders' communicator, whose failures say that they are between hosts: its own messages
     * number the leaders, which are the hosts, not the job's ranks.
     */
    private record HostLinks(Communicator tcp) implements Communicator {
        @Override
        public int rank() {
            return tcp.rank();
        }

        @Override
        public int worldSize() {
            return tcp.worldSize();
        }

        @Override
        public void allReduceSum(float[] data, int offset, int length, WireType wire) {
            run(() -> tcp.allReduceSum(data, offset, length, wire));
        }

        @Override
        public void allGather(float[] send, int sendOffset, int length, float[] receive, int receiveOffset) {
            run(() -> tcp.allGather(send, sendOffset, length, receive, receiveOffset));
        }

        @Override
        public void broadcast(byte[] data, int offset, int length, int root) {
            run(() -> tcp.broadcast(data, offset, length, root));
        }

        @Override
        public void barrier() {
            run(tcp::barrier);
        }

        @Override
        public void close() {
            tcp.close();
        }

        private void run(Runnable call) {
            try {
                call.run();
            } catch (RuntimeException e) {
                throw new IllegalStateException("host " + tcp.rank() + " lost the link between the hosts (TCP among"
                        + " the hosts' leaders, where rank N is host N): " + e.getMessage(), e);
            }
        }
    }

    /** The leaders' ranks-per-host counts must agree: global ranks are numbered host by host. */
    private static void checkSameRanksPerHost(TcpCommunicator leaders, int localWorld) {
        float[] counts = new float[leaders.worldSize()];
        leaders.allGather(new float[] {localWorld}, 0, 1, counts, 0);
        for (int host = 0; host < counts.length; host++) {
            if ((int) counts[host] != localWorld) {
                throw new IllegalStateException("host " + leaders.rank() + " runs " + localWorld + " rank(s) but host "
                        + host + " runs " + (int) counts[host] + ": every host of a job must run the same number");
            }
        }
    }
}
