package io.isthmus.collectives.hier;

import io.isthmus.collectives.Communicator;
import io.isthmus.collectives.WireType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * Collectives over ranks on several hosts, composed of two communicators (DESIGN.md §6): one
 * among the ranks of this rank's host (shared memory, say), and one among the hosts' leaders (TCP,
 * say) that only leaders hold. Every collective runs inside each host, then among the leaders,
 * then inside each host again, so only one rank per host talks across hosts.
 *
 * <ul>
 * <li>allReduceSum: allreduce in the host, allreduce of the host sums among the leaders, broadcast
 *     of the total from each leader to its host. Every rank gets the leaders' bits.</li>
 * <li>allGather: allGather in the host, allGather of the host blocks (padded to the largest host)
 *     among the leaders, which put them in global rank order, then broadcast in the host.</li>
 * <li>broadcast: to the root's host, from its leader to the leaders, from them to their hosts.</li>
 * <li>barrier: barrier in the host, among the leaders, and in the host again.</li>
 * </ul>
 * Closing it closes both communicators.
 */
public final class HierarchicalCommunicator implements Communicator {
    /** Floats per local broadcast of float data: bounds the byte staging buffer (16 MiB). */
    private static final int STAGE_FLOATS = 1 << 22;

    private final int rank;
    private final HostGroups hosts;
    private final int host;
    private final Communicator local;
    private final Communicator leaders; // null unless this rank leads its host
    private byte[] stage = new byte[0];
    private float[] hostBlocks = new float[0];
    private float[] allBlocks = new float[0];

    /**
     * @param rank    this rank's global rank
     * @param hosts   the host of every rank
     * @param local   the ranks of this rank's host, as rank {@code hosts.localRank(rank)}
     * @param leaders on a host's leader, the leaders, as rank {@code hosts.hostOf(rank)}; null elsewhere
     */
    public HierarchicalCommunicator(int rank, HostGroups hosts, Communicator local, Communicator leaders) {
        Objects.checkIndex(rank, hosts.worldSize());
        Objects.requireNonNull(local, "local");
        this.rank = rank;
        this.hosts = hosts;
        this.host = hosts.hostOf(rank);
        this.local = local;
        this.leaders = leaders;
        if (local.rank() != hosts.localRank(rank) || local.worldSize() != hosts.hostSize(host)) {
            throw new IllegalArgumentException("rank " + rank + ": its host communicator is rank " + local.rank() + " of "
                    + local.worldSize() + ", but it is rank " + hosts.localRank(rank) + " of the " + hosts.hostSize(host)
                    + " on host " + host);
        }
        if (hosts.isLeader(rank) != (leaders != null)) {
            throw new IllegalArgumentException("rank " + rank + (hosts.isLeader(rank)
                    ? " leads host " + host + " but got no leaders' communicator"
                    : " does not lead host " + host + " but got a leaders' communicator"));
        }
        if (leaders != null && (leaders.rank() != host || leaders.worldSize() != hosts.hostCount())) {
            throw new IllegalArgumentException("rank " + rank + ": its leaders' communicator is rank " + leaders.rank() + " of "
                    + leaders.worldSize() + ", but it leads host " + host + " of " + hosts.hostCount());
        }
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return hosts.worldSize();
    }

    @Override
    public void allReduceSum(float[] data, int offset, int length, WireType wire) {
        Objects.checkFromIndexSize(offset, length, data.length);
        local.allReduceSum(data, offset, length, wire);
        if (leaders != null) {
            leaders.allReduceSum(data, offset, length, wire);
        }
        broadcastInHost(data, offset, length);
    }

    @Override
    public void allGather(float[] send, int sendOffset, int length, float[] receive, int receiveOffset) {
        Objects.checkFromIndexSize(sendOffset, length, send.length);
        Objects.checkFromIndexSize(receiveOffset, (long) length * worldSize(), receive.length);
        int block = Math.multiplyExact(hosts.largestHostSize(), length); // every host's block padded to the largest
        if (hostBlocks.length < block) {
            hostBlocks = new float[block];
        }
        local.allGather(send, sendOffset, length, hostBlocks, 0);
        if (leaders != null) {
            int all = Math.multiplyExact(block, hosts.hostCount());
            if (allBlocks.length < all) {
                allBlocks = new float[all];
            }
            leaders.allGather(hostBlocks, 0, block, allBlocks, 0);
            for (int h = 0; h < hosts.hostCount(); h++) {
                for (int l = 0; l < hosts.hostSize(h); l++) {
                    System.arraycopy(allBlocks, h * block + l * length, receive,
                            receiveOffset + hosts.globalRank(h, l) * length, length);
                }
            }
        }
        broadcastInHost(receive, receiveOffset, length * worldSize());
    }

    @Override
    public void broadcast(byte[] data, int offset, int length, int root) {
        Objects.checkFromIndexSize(offset, length, data.length);
        Objects.checkIndex(root, worldSize());
        int rootHost = hosts.hostOf(root);
        if (host == rootHost) {
            local.broadcast(data, offset, length, hosts.localRank(root)); // now the root host's leader has it
        }
        if (leaders != null) {
            leaders.broadcast(data, offset, length, rootHost);
        }
        if (host != rootHost) {
            local.broadcast(data, offset, length, 0);
        }
    }

    @Override
    public void barrier() {
        local.barrier();
        if (leaders != null) {
            leaders.barrier();
        }
        local.barrier(); // holds the host until its leader passed the leaders' barrier
    }

    /** data[offset, offset+length) of this host's leader to the host's other ranks, through bytes. */
    private void broadcastInHost(float[] data, int offset, int length) {
        if (local.worldSize() == 1) {
            return;
        }
        boolean leader = hosts.isLeader(rank);
        for (int done = 0; done < length; done += STAGE_FLOATS) {
            int count = Math.min(STAGE_FLOATS, length - done);
            if (stage.length < 4 * count) {
                stage = new byte[4 * count];
            }
            MemorySegment bytes = MemorySegment.ofArray(stage);
            if (leader) {
                MemorySegment.copy(data, offset + done, bytes, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, count);
            }
            local.broadcast(stage, 0, 4 * count, 0);
            if (!leader) {
                MemorySegment.copy(bytes, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, data, offset + done, count);
            }
        }
    }

    /** Closes the host's communicator and, on a leader, the leaders'. */
    @Override
    public void close() {
        try {
            local.close();
        } finally {
            if (leaders != null) {
                leaders.close();
            }
        }
    }
}
