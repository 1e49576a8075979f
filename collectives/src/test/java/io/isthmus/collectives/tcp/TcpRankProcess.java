package io.isthmus.collectives.tcp;

import io.isthmus.collectives.WireType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/**
 * A rank in its own JVM for {@link TcpMultiProcessTest}: joins through the master port, runs
 * {@link #run} and exits 0 when every result was right, 1 otherwise.
 * Arguments: master port, rank, world size.
 */
public final class TcpRankProcess {
    static final int[] LENGTHS = {1, 4096, 300_001, 7};

    public static void main(String[] args) {
        int masterPort = Integer.parseInt(args[0]);
        int rank = Integer.parseInt(args[1]);
        int worldSize = Integer.parseInt(args[2]);
        try (TcpCommunicator comm = TcpCommunicator.create(rank, worldSize, options(masterPort))) {
            String mismatch = run(comm);
            if (mismatch != null) {
                System.err.println(mismatch);
                System.exit(1);
            }
        }
    }

    static TcpOptions options(int masterPort) {
        return TcpOptions.of("127.0.0.1", masterPort).withListenHost("127.0.0.1")
                .withTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(20));
    }

    /** Allreduces of both wire types, an allGather, a broadcast from the last rank and a barrier; returns what differed, or null. */
    static String run(TcpCommunicator comm) {
        for (int call = 0; call < 2 * LENGTHS.length; call++) {
            int length = LENGTHS[call % LENGTHS.length];
            WireType wire = call % 2 == 0 ? WireType.F32 : WireType.BF16;
            float[] data = RingData.integers(comm.rank(), call, length);
            comm.allReduceSum(data, 0, length, wire);
            if (!Arrays.equals(RingData.integerSum(comm.worldSize(), call, length), data)) {
                return "rank " + comm.rank() + ": allreduce " + call + " of " + length + " " + wire + " differs";
            }
        }
        float[] all = new float[comm.worldSize() * 1000];
        comm.allGather(RingData.mixed(comm.rank(), 0, 1000), 0, 1000, all, 0);
        for (int rank = 0; rank < comm.worldSize(); rank++) {
            if (!Arrays.equals(RingData.mixed(rank, 0, 1000), Arrays.copyOfRange(all, rank * 1000, (rank + 1) * 1000))) {
                return "rank " + comm.rank() + ": allGather block of rank " + rank + " differs";
            }
        }
        int root = comm.worldSize() - 1;
        byte[] message = "step plan from the last rank".getBytes(StandardCharsets.UTF_8);
        byte[] received = comm.rank() == root ? message.clone() : new byte[message.length];
        comm.broadcast(received, 0, received.length, root);
        comm.barrier();
        return Arrays.equals(message, received) ? null : "rank " + comm.rank() + ": broadcast differs";
    }
}
