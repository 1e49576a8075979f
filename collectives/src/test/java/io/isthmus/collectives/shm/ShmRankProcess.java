package io.isthmus.collectives.shm;

import io.isthmus.collectives.WireType;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A rank in its own JVM for {@link ShmMultiProcessTest}: joins the job, runs {@link #run} and
 * exits 0 when every result matched the sequential sum, 1 otherwise.
 * Arguments: job directory, rank, world size, and optionally {@code halt}: join, then die (exit
 * status 3, no clean-up) before any collective, as a killed rank would.
 */
public final class ShmRankProcess {
    static final int[] LENGTHS = {1, 4096, 300_001, 7};
    static final ShmCommunicator.Options OPTIONS =
            new ShmCommunicator.Options(1 << 20, 1 << 20, Duration.ofSeconds(60), Duration.ofSeconds(20));

    public static void main(String[] args) {
        Path jobDir = Path.of(args[0]);
        int rank = Integer.parseInt(args[1]);
        int worldSize = Integer.parseInt(args[2]);
        Rendezvous.join(jobDir, RankInfo.ofThisProcess(rank, -1), worldSize, OPTIONS.joinTimeout());
        try (ShmCommunicator comm = ShmCommunicator.create(jobDir, rank, worldSize, OPTIONS)) {
            if (args.length > 3 && args[3].equals("halt")) {
                Runtime.getRuntime().halt(3);
            }
            String mismatch = run(comm);
            if (mismatch != null) {
                System.err.println(mismatch);
                System.exit(1);
            }
        }
    }

    /** A few allreduces of both wire types and a broadcast; returns what differed, or null. */
    static String run(ShmCommunicator comm) {
        for (int call = 0; call < 3 * LENGTHS.length; call++) {
            int length = LENGTHS[call % LENGTHS.length];
            WireType wire = call % 2 == 0 ? WireType.F32 : WireType.BF16;
            float[] data = Contributions.of(comm.rank(), call, length);
            comm.allReduceSum(data, 0, length, wire);
            float[] expected = Contributions.sequentialSum(comm.worldSize(), call, length, wire);
            if (!java.util.Arrays.equals(expected, data)) {
                return "rank " + comm.rank() + ": allreduce " + call + " of " + length + " " + wire + " differs";
            }
        }
        byte[] message = "step plan from rank 0".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] received = comm.rank() == 0 ? message.clone() : new byte[message.length];
        comm.broadcast(received, 0, received.length, 0);
        comm.barrier();
        return java.util.Arrays.equals(message, received) ? null : "rank " + comm.rank() + ": broadcast differs";
    }
}
