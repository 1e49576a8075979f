package io.isthmus.collectives;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Ranks that are threads of ONE JVM, exchanging data through shared arrays: for tests and
 * single-process simulations of a tensor-parallel job, not for production (the shared-memory
 * implementation between processes is the one of DESIGN.md §6).
 *
 * <p>Each collective publishes this rank's buffer in a slot of the group, meets the other ranks at a
 * barrier, reads their buffers, and meets them again before anyone may reuse a buffer. Sums run in
 * rank order 0..N-1 on every rank, so all ranks get bit-identical results.
 *
 * <p>A rank that waits longer than the group's timeout, or whose group was broken (another rank
 * timed out, closed or called {@link #abort}), gets an {@link IllegalStateException} naming the
 * cause; no rank hangs forever.
 */
public final class InProcessCommunicator implements Communicator {
    private final Group group;
    private final int rank;
    private float[] sum = new float[0];

    private InProcessCommunicator(Group group, int rank) {
        this.group = group;
        this.rank = rank;
    }

    /** One communicator per rank of a new group of {@code worldSize} threads, with a 30 s timeout. */
    public static InProcessCommunicator[] group(int worldSize) {
        return group(worldSize, Duration.ofSeconds(30));
    }

    /** As {@link #group(int)}, failing a collective that waits longer than {@code timeout}. */
    public static InProcessCommunicator[] group(int worldSize, Duration timeout) {
        if (worldSize < 1) {
            throw new IllegalArgumentException("world size " + worldSize + " must be at least 1");
        }
        Group g = new Group(worldSize, timeout);
        InProcessCommunicator[] out = new InProcessCommunicator[worldSize];
        for (int r = 0; r < worldSize; r++) {
            out[r] = new InProcessCommunicator(g, r);
        }
        return out;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return group.size;
    }

    @Override
    public void allReduceSum(float[] data, int offset, int length, WireType wire) {
        Objects.checkFromIndexSize(offset, length, data.length);
        Objects.requireNonNull(wire, "wire");
        publish(data, offset, length);
        await("allReduceSum");
        checkSameLength("allReduceSum");
        if (sum.length < length) {
            sum = new float[length];
        }
        for (int i = 0; i < length; i++) {
            sum[i] = 0f;
        }
        for (int r = 0; r < group.size; r++) { // fixed order: identical results on every rank
            float[] src = group.arrays[r];
            int off = group.offsets[r];
            for (int i = 0; i < length; i++) {
                sum[i] += wire == WireType.BF16 ? Bf16.round(src[off + i]) : src[off + i];
            }
        }
        await("allReduceSum"); // every rank has read every buffer before any is overwritten
        System.arraycopy(sum, 0, data, offset, length);
    }

    @Override
    public void allGather(float[] send, int sendOffset, int length, float[] receive, int receiveOffset) {
        Objects.checkFromIndexSize(sendOffset, length, send.length);
        Objects.checkFromIndexSize(receiveOffset, Math.multiplyExact(length, group.size), receive.length);
        publish(send, sendOffset, length);
        await("allGather");
        checkSameLength("allGather");
        for (int r = 0; r < group.size; r++) {
            System.arraycopy(group.arrays[r], group.offsets[r], receive, receiveOffset + r * length, length);
        }
        await("allGather");
    }

    @Override
    public void broadcast(byte[] data, int offset, int length, int root) {
        Objects.checkFromIndexSize(offset, length, data.length);
        Objects.checkIndex(root, group.size);
        group.bytes[rank] = data;
        group.offsets[rank] = offset;
        group.lengths[rank] = length;
        await("broadcast");
        checkSameLength("broadcast");
        if (rank != root) {
            System.arraycopy(group.bytes[root], group.offsets[root], data, offset, length);
        }
        await("broadcast");
    }

    @Override
    public void barrier() {
        await("barrier");
    }

    /** Breaks the group: every rank waiting in (or later entering) a collective fails, naming this rank. */
    public void abort(String why) {
        group.breakBy("rank " + rank + " " + why);
    }

    /** Leaving the group breaks it for ranks still inside a collective (they would wait for this one in vain). */
    @Override
    public void close() {
        group.breakBy("rank " + rank + " closed its communicator");
    }

    private void publish(float[] data, int offset, int length) {
        group.arrays[rank] = data;
        group.offsets[rank] = offset;
        group.lengths[rank] = length;
    }

    private void checkSameLength(String op) {
        for (int r = 1; r < group.size; r++) {
            if (group.lengths[r] != group.lengths[0]) {
                // every rank sees the same lengths, so every rank throws the same error: nobody is left waiting
                throw new IllegalArgumentException(op + ": rank 0 passed " + group.lengths[0] + " elements, rank "
                        + r + " " + group.lengths[r]);
            }
        }
    }

    private void await(String op) {
        String broken = group.brokenBy;
        if (broken != null) {
            throw new IllegalStateException("rank " + rank + ": " + op + " in a broken group (" + broken + ")");
        }
        try {
            group.barrier.await(group.timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            group.breakBy("rank " + rank + " timed out in " + op);
            throw new IllegalStateException("rank " + rank + ": " + op + " timed out after "
                    + Duration.ofNanos(group.timeoutNanos) + " waiting for the other ranks", e);
        } catch (BrokenBarrierException e) {
            throw new IllegalStateException("rank " + rank + ": " + op + " failed: "
                    + Objects.requireNonNullElse(group.brokenBy, "the group's barrier was broken"), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            group.breakBy("rank " + rank + " was interrupted in " + op);
            throw new IllegalStateException("rank " + rank + ": interrupted in " + op, e);
        }
    }

    /** State shared by the ranks of one group; slots are written before and read after a barrier. */
    private static final class Group {
        final int size;
        final long timeoutNanos;
        final CyclicBarrier barrier;
        final float[][] arrays;
        final byte[][] bytes;
        final int[] offsets;
        final int[] lengths;
        volatile String brokenBy;

        Group(int size, Duration timeout) {
            this.size = size;
            this.timeoutNanos = timeout.toNanos();
            this.barrier = new CyclicBarrier(size);
            this.arrays = new float[size][];
            this.bytes = new byte[size][];
            this.offsets = new int[size];
            this.lengths = new int[size];
        }

        synchronized void breakBy(String why) {
            if (brokenBy == null) {
                brokenBy = why;
            }
            barrier.reset(); // ranks waiting now get BrokenBarrierException
        }
    }
}
