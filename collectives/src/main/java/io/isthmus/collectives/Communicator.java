package io.isthmus.collectives;

/**
 * Collective operations among the ranks of one job. Every rank calls the same operations in the
 * same order with the same lengths (as in MPI/NCCL); calls block until the collective completes on
 * this rank. One thread per rank drives a communicator; implementations are not thread-safe.
 */
public interface Communicator extends AutoCloseable {

    /** This rank, 0-based; rank 0 is the driver. */
    int rank();

    int worldSize();

    /** data[offset, offset+length) becomes the element-wise sum over all ranks, accumulated in f32. */
    void allReduceSum(float[] data, int offset, int length, WireType wire);

    default void allReduceSum(float[] data, int offset, int length) {
        allReduceSum(data, offset, length, WireType.F32);
    }

    /**
     * Every rank contributes {@code length} floats; afterwards {@code receive} holds all
     * contributions in rank order from {@code receiveOffset} ({@code worldSize × length} floats).
     */
    void allGather(float[] send, int sendOffset, int length, float[] receive, int receiveOffset);

    /** data[offset, offset+length) of {@code root} is copied to every other rank's data. */
    void broadcast(byte[] data, int offset, int length, int root);

    /** Returns once every rank has called it. */
    void barrier();

    @Override
    void close();

    /** The communicator of a job with one rank: every collective is the identity. */
    static Communicator single() {
        return SingleRank.INSTANCE;
    }
}
