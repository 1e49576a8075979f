package io.isthmus.collectives.shm;

import io.isthmus.collectives.Communicator;
import io.isthmus.collectives.WireCopy;
import io.isthmus.collectives.WireType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Collectives among the ranks of one host through shared memory (DESIGN.md §6). Each rank owns one
 * segment file in the job directory and maps everyone's. Every collective is a sequence of rounds;
 * a round writes this rank's contribution into its buffer {@code round & 1}, publishes the next
 * step number, waits for every rank's step and reads the peers' buffers. A rank publishes a step
 * only after it finished reading the previous round, so when a rank writes a buffer again two
 * rounds later, every peer is done with it: double buffering without a second barrier.
 *
 * <p>allReduceSum: up to {@code smallMaxBytes} on the wire, one round where every rank sums all
 * slots itself; above, chunks of {@code bufferBytes/4} floats, each a reduce-scatter (rank r sums
 * its 1/N of the chunk over all slots into its output area) then an all-gather. Either way the sum
 * is accumulated in f32 in rank order over the wire-rounded contributions, so every rank gets
 * bit-identical results, equal to a sequential f32 sum in rank order.
 */
public final class ShmCommunicator implements Communicator {

    /**
     * @param bufferBytes   size of each of a rank's two buffers (input and output areas each);
     *                      a large allreduce moves bufferBytes/4 floats per chunk
     * @param smallMaxBytes wire bytes up to which allreduce takes the one-round path
     * @param joinTimeout   how long create() waits for the other ranks' segments
     * @param timeout       how long a collective waits for a peer to arrive
     */
    public record Options(int bufferBytes, int smallMaxBytes, Duration joinTimeout, Duration timeout) {
        public Options {
            if (bufferBytes < 4096 || bufferBytes % 64 != 0) {
                throw new IllegalArgumentException("bufferBytes " + bufferBytes + " must be a multiple of 64, at least 4096");
            }
            if (smallMaxBytes < 0 || smallMaxBytes > bufferBytes) {
                throw new IllegalArgumentException("smallMaxBytes " + smallMaxBytes + " must lie in [0, bufferBytes]");
            }
            Objects.requireNonNull(joinTimeout, "joinTimeout");
            Objects.requireNonNull(timeout, "timeout");
        }

        public static Options defaults() {
            return new Options(4 << 20, 1 << 20, Duration.ofSeconds(60), Duration.ofSeconds(30));
        }

        public Options withTimeouts(Duration newJoinTimeout, Duration newTimeout) {
            return new Options(bufferBytes, smallMaxBytes, newJoinTimeout, newTimeout);
        }
    }

    private static final int REGION_GRAIN = 16; // floats: 64 bytes, so regions never share a cache line

    private final Path jobDir;
    private final boolean ownsDirectory;
    private final int rank;
    private final Segment[] segments;
    private final Segment own;
    private final Arrivals arrivals;
    private final Arena arena;
    private final int chunkFloats;
    private final int smallMaxBytes;
    private long step;
    private long round;
    private String failure;
    private boolean closed;

    private ShmCommunicator(Path jobDir, boolean ownsDirectory, int rank, Segment[] segments, Arena arena,
            Options options) {
        this.jobDir = jobDir;
        this.ownsDirectory = ownsDirectory;
        this.rank = rank;
        this.segments = segments;
        this.own = segments[rank];
        this.arrivals = new Arrivals(segments, rank, options.timeout());
        this.arena = arena;
        this.chunkFloats = options.bufferBytes() / 4;
        this.smallMaxBytes = options.smallMaxBytes();
    }

    public static ShmCommunicator create(Path jobDir, int rank, int worldSize) {
        return create(jobDir, rank, worldSize, Options.defaults());
    }

    /**
     * Joins the job in {@code jobDir}: rank 0 creates the directory when it is absent (and then
     * removes it on close); every rank creates its own segment, maps the others' and returns once
     * every rank has mapped every segment. Throws {@link PeerTimeoutException} naming the ranks
     * whose segments did not appear, or that did not finish mapping, within the join timeout.
     */
    public static ShmCommunicator create(Path jobDir, int rank, int worldSize, Options options) {
        Objects.checkIndex(rank, worldSize);
        long deadline = System.nanoTime() + options.joinTimeout().toNanos();
        boolean owns = false;
        Arena arena = Arena.ofShared();
        Path ownFile = JobDirectory.segmentFile(jobDir, rank);
        try {
            if (rank == 0) {
                owns = Files.notExists(jobDir);
                Files.createDirectories(jobDir);
            } else {
                awaitFiles(List.of(jobDir), List.of(0), rank, deadline, options.joinTimeout(), "create the job directory " + jobDir);
            }
            Segment[] segments = new Segment[worldSize];
            segments[rank] = Segment.create(ownFile, rank, worldSize, options.bufferBytes(), arena);
            List<Path> peerFiles = new ArrayList<>();
            List<Integer> peers = new ArrayList<>();
            for (int peer = 0; peer < worldSize; peer++) {
                if (peer != rank) {
                    peerFiles.add(JobDirectory.segmentFile(jobDir, peer));
                    peers.add(peer);
                }
            }
            awaitFiles(peerFiles, peers, rank, deadline, options.joinTimeout(), "create their segments in " + jobDir);
            for (int peer : peers) {
                segments[peer] = Segment.open(JobDirectory.segmentFile(jobDir, peer), peer, worldSize,
                        options.bufferBytes(), arena);
            }
            ShmCommunicator communicator = new ShmCommunicator(jobDir, owns, rank, segments, arena, options);
            communicator.awaitEveryoneMapped(options.joinTimeout());
            return communicator;
        } catch (IOException | RuntimeException e) {
            arena.close();
            deleteQuietly(ownFile);
            if (owns) {
                JobDirectory.remove(jobDir);
            }
            if (e instanceof IOException io) {
                throw new UncheckedIOException("rank " + rank + " cannot join " + jobDir, io);
            }
            throw (RuntimeException) e;
        }
    }

    /**
     * Waits until each file has existed at least once: a peer that appeared and then gave up (and
     * removed the job directory) arrived; only the ranks never seen are named on timeout.
     */
    private static void awaitFiles(List<Path> files, List<Integer> owners, int rank, long deadline, Duration timeout,
            String what) {
        boolean[] seen = new boolean[files.size()];
        while (true) {
            List<Integer> missing = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                seen[i] = seen[i] || Files.exists(files.get(i));
                if (!seen[i]) {
                    missing.add(owners.get(i));
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new PeerTimeoutException(rank, missing, what, timeout);
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("rank " + rank + " interrupted while joining", e);
            }
        }
    }

    /**
     * Step 1: every rank has mapped every segment. Until then no rank may return from create(), or
     * a rank that closes at once (and so removes its file, or the directory) could leave a peer
     * that never saw its file waiting for it.
     */
    private void awaitEveryoneMapped(Duration joinTimeout) {
        step++;
        own.publish(step);
        new Arrivals(segments, rank, joinTimeout).awaitAll(step, "map every segment of the job");
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return segments.length;
    }

    /** The job directory holding the segment files. */
    public Path jobDirectory() {
        return jobDir;
    }

    @Override
    public void allReduceSum(float[] data, int offset, int length, WireType wire) {
        Objects.checkFromIndexSize(offset, length, data.length);
        usable();
        if ((long) length * WireCopy.bytes(wire) <= smallMaxBytes) {
            reduceSmall(data, offset, length, wire);
            return;
        }
        for (int done = 0; done < length; done += chunkFloats) {
            reduceChunk(data, offset + done, Math.min(chunkFloats, length - done), wire);
        }
    }

    /** One round: contribute, then sum every slot in rank order. */
    private void reduceSmall(float[] data, int offset, int length, WireType wire) {
        long input = own.input(round);
        WireCopy.store(data, offset, length, own.memory, input, wire);
        arrive("allReduceSum");
        sumSlots(input, length, wire, data, offset);
        round++;
    }

    /** Reduce-scatter of one chunk into the output areas, then all-gather of the reduced regions. */
    private void reduceChunk(float[] data, int offset, int length, WireType wire) {
        long input = own.input(round);
        long output = own.output(round);
        WireCopy.store(data, offset, length, own.memory, input, wire);
        arrive("allReduceSum (reduce-scatter)");
        int from = regionStart(rank, length);
        int count = regionStart(rank + 1, length) - from;
        sumSlots(input + (long) from * WireCopy.bytes(wire), count, wire, data, offset + from);
        MemorySegment.copy(data, offset + from, own.memory, ValueLayout.JAVA_FLOAT, output + 4L * from, count);
        arrive("allReduceSum (all-gather)");
        for (int peer = 0; peer < segments.length; peer++) {
            if (peer != rank) {
                int peerFrom = regionStart(peer, length);
                int peerCount = regionStart(peer + 1, length) - peerFrom;
                MemorySegment.copy(segments[peer].memory, ValueLayout.JAVA_FLOAT, output + 4L * peerFrom,
                        data, offset + peerFrom, peerCount);
            }
        }
        round++;
    }

    /** Where rank r's region of a chunk starts: equal shares rounded up to the grain. */
    private int regionStart(int r, int length) {
        int share = (length + segments.length - 1) / segments.length;
        share = (share + REGION_GRAIN - 1) / REGION_GRAIN * REGION_GRAIN;
        return (int) Math.min((long) r * share, length);
    }

    /** data[to, to+count) = slot 0 + slot 1 + ... at {@code slotOffset}, in that order, in f32. */
    private void sumSlots(long slotOffset, int count, WireType wire, float[] data, int to) {
        WireCopy.load(segments[0].memory, slotOffset, wire, data, to, count);
        for (int peer = 1; peer < segments.length; peer++) {
            WireCopy.add(segments[peer].memory, slotOffset, wire, data, to, count);
        }
    }

    @Override
    public void allGather(float[] send, int sendOffset, int length, float[] receive, int receiveOffset) {
        Objects.checkFromIndexSize(sendOffset, length, send.length);
        Objects.checkFromIndexSize(receiveOffset, (long) length * segments.length, receive.length);
        usable();
        for (int done = 0; done < length; done += chunkFloats) {
            int count = Math.min(chunkFloats, length - done);
            long input = own.input(round);
            WireCopy.store(send, sendOffset + done, count, own.memory, input, WireType.F32);
            arrive("allGather");
            for (int peer = 0; peer < segments.length; peer++) {
                WireCopy.load(segments[peer].memory, input, WireType.F32, receive,
                        receiveOffset + peer * length + done, count);
            }
            round++;
        }
    }

    @Override
    public void broadcast(byte[] data, int offset, int length, int root) {
        Objects.checkFromIndexSize(offset, length, data.length);
        Objects.checkIndex(root, segments.length);
        usable();
        int chunkBytes = 4 * chunkFloats;
        for (int done = 0; done < length; done += chunkBytes) {
            int count = Math.min(chunkBytes, length - done);
            long input = own.input(round);
            if (rank == root) {
                MemorySegment.copy(data, offset + done, own.memory, ValueLayout.JAVA_BYTE, input, count);
            }
            arrive("broadcast");
            if (rank != root) {
                MemorySegment.copy(segments[root].memory, ValueLayout.JAVA_BYTE, input, data, offset + done, count);
            }
            round++;
        }
    }

    @Override
    public void barrier() {
        usable();
        arrive("barrier");
    }

    /** Publishes the next step and waits for every rank to reach it. */
    private void arrive(String operation) {
        step++;
        own.publish(step);
        try {
            arrivals.awaitAll(step, operation);
        } catch (PeerTimeoutException | PeerExitedException e) {
            failure = e.getMessage();
            throw e;
        }
    }

    private void usable() {
        if (closed) {
            throw new IllegalStateException("rank " + rank + ": communicator closed");
        }
        if (failure != null) {
            throw new IllegalStateException("rank " + rank + ": communicator broken by an earlier failure: " + failure);
        }
    }

    /** Unmaps every segment, deletes this rank's file, and the job directory if rank 0 created it. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        arena.close();
        deleteQuietly(JobDirectory.segmentFile(jobDir, rank));
        if (ownsDirectory) {
            JobDirectory.remove(jobDir);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file, e);
        }
    }
}
