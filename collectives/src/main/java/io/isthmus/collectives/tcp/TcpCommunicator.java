package io.isthmus.collectives.tcp;

import io.isthmus.collectives.Bf16;
import io.isthmus.collectives.Communicator;
import io.isthmus.collectives.WireCopy;
import io.isthmus.collectives.WireType;
import io.isthmus.collectives.shm.PeerTimeoutException;
import io.netty.buffer.ByteBuf;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Objects;

/**
 * Collectives among ranks on any hosts over TCP (DESIGN.md §6), on Netty: each rank sends to its
 * ring successor and receives from its predecessor. {@link #create} joins through rank 0's
 * bootstrap ({@link TcpOptions}: ISTHMUS_MASTER_ADDR / ISTHMUS_MASTER_PORT), connects the ring and
 * returns once every rank's connections are up.
 *
 * <p>allReduceSum is the ring allreduce: N−1 reduce-scatter steps, each sending one chunk and adding
 * the one received, then N−1 all-gather steps passing the summed chunks on. Sums are f32 in the
 * chunk's ring order; with the BF16 wire type every contribution, every partial sum sent on and
 * every final chunk is rounded to bf16 (half the bytes), so every rank still ends with the same
 * bits. allGather is the ring all-gather of the rank blocks, broadcast a pipeline along the ring
 * from the root, barrier N−1 token steps. Messages travel as frames of at most
 * {@link TcpOptions#frameBytes()} payload, each headed by the collective's sequence number, kind,
 * length and root: a neighbour in another collective is a {@link CollectiveMismatchException}.
 *
 * <p>A neighbour that sends nothing within {@link TcpOptions#timeout()} is a
 * {@link PeerTimeoutException} naming it (in a ring a stalled rank stalls its successors too: the
 * first error names the rank waited on, which may itself be waiting); a closed connection is an
 * IllegalStateException naming the peer. After any failure the communicator refuses further calls.
 */
public final class TcpCommunicator implements Communicator {
    private final RingSchedule ring;
    private final TcpOptions options;
    private final RingLinks links; // null in a world of one
    private long sequence;
    private String failure;
    private boolean closed;

    private TcpCommunicator(RingSchedule ring, TcpOptions options, RingLinks links) {
        this.ring = ring;
        this.options = options;
        this.links = links;
    }

    /**
     * Joins the job: listens on the data port, registers with rank 0's bootstrap (rank 0 runs it),
     * connects to the successor and waits for the predecessor. Throws {@link PeerTimeoutException}
     * naming the ranks that did not register or connect within the join timeout.
     */
    public static TcpCommunicator create(int rank, int worldSize, TcpOptions options) {
        RingSchedule ring = new RingSchedule(rank, worldSize);
        Objects.requireNonNull(options, "options");
        if (worldSize == 1) {
            return new TcpCommunicator(ring, options, null);
        }
        long deadline = System.nanoTime() + options.joinTimeout().toNanos();
        RingLinks links = RingLinks.listen(ring, options);
        try {
            List<RankAddress> table = TcpBootstrap.exchange(rank, worldSize, links.port(), options, deadline);
            links.connect(table.get(ring.successor()), deadline, options.joinTimeout());
            links.awaitPredecessor(deadline, options.joinTimeout());
            TcpCommunicator communicator = new TcpCommunicator(ring, options, links);
            // the ring carries a token round: no rank returns before every rank's connections are up
            communicator.passTokens(new CollectiveCall(0, FrameKind.JOIN, 0, 0));
            return communicator;
        } catch (RuntimeException e) {
            links.close();
            throw e;
        }
    }

    @Override
    public int rank() {
        return ring.rank();
    }

    @Override
    public int worldSize() {
        return ring.worldSize();
    }

    /** The port this rank accepts its predecessor on; -1 in a world of one. */
    public int dataPort() {
        return links == null ? -1 : links.port();
    }

    @Override
    public void allReduceSum(float[] data, int offset, int length, WireType wire) {
        Objects.checkFromIndexSize(offset, length, data.length);
        Objects.requireNonNull(wire, "wire");
        CollectiveCall call = begin(wire == WireType.F32 ? FrameKind.ALL_REDUCE_F32 : FrameKind.ALL_REDUCE_BF16, length, 0);
        if (links == null) {
            return;
        }
        try {
            if (wire == WireType.BF16) {
                roundToBf16(data, offset, length); // this rank's contribution as it travels
            }
            for (int step = 0; step < ring.steps(); step++) {
                int sent = ring.sent(step, ring.rank());
                int received = ring.received(step, ring.rank());
                sendFloats(call, data, offset + ring.chunkStart(sent, length), ring.chunkLength(sent, length), wire);
                receiveFloats(call, data, offset + ring.chunkStart(received, length), ring.chunkLength(received, length),
                        wire, true);
            }
            int reduced = ring.reducedChunk();
            if (wire == WireType.BF16) {
                // the others get this chunk in bf16: round it here too, so every rank holds the same bits
                roundToBf16(data, offset + ring.chunkStart(reduced, length), ring.chunkLength(reduced, length));
            }
            for (int step = 0; step < ring.steps(); step++) {
                int sent = ring.sent(step, reduced);
                int received = ring.received(step, reduced);
                sendFloats(call, data, offset + ring.chunkStart(sent, length), ring.chunkLength(sent, length), wire);
                receiveFloats(call, data, offset + ring.chunkStart(received, length), ring.chunkLength(received, length),
                        wire, false);
            }
        } catch (RuntimeException e) {
            throw failed(e);
        }
    }

    @Override
    public void allGather(float[] send, int sendOffset, int length, float[] receive, int receiveOffset) {
        Objects.checkFromIndexSize(sendOffset, length, send.length);
        Objects.checkFromIndexSize(receiveOffset, (long) length * worldSize(), receive.length);
        CollectiveCall call = begin(FrameKind.ALL_GATHER, length, 0);
        System.arraycopy(send, sendOffset, receive, receiveOffset + rank() * length, length);
        if (links == null) {
            return;
        }
        try {
            for (int step = 0; step < ring.steps(); step++) {
                sendFloats(call, receive, receiveOffset + ring.sent(step, rank()) * length, length, WireType.F32);
                receiveFloats(call, receive, receiveOffset + ring.received(step, rank()) * length, length,
                        WireType.F32, false);
            }
        } catch (RuntimeException e) {
            throw failed(e);
        }
    }

    @Override
    public void broadcast(byte[] data, int offset, int length, int root) {
        Objects.checkFromIndexSize(offset, length, data.length);
        Objects.checkIndex(root, worldSize());
        CollectiveCall call = begin(FrameKind.BROADCAST, length, root);
        if (links == null) {
            return;
        }
        try {
            if (rank() == root) {
                sendBytes(call, data, offset, length);
                return;
            }
            boolean forward = ring.successor() != root;
            receive(call, length, 1, (payload, at, count) -> {
                MemorySegment.copy(payload, ValueLayout.JAVA_BYTE, 0, data, offset + at, count);
                if (forward) {
                    sendBytes(call, data, offset + at, count); // piece by piece: the pipeline runs along the ring
                }
            });
        } catch (RuntimeException e) {
            throw failed(e);
        }
    }

    @Override
    public void barrier() {
        CollectiveCall call = begin(FrameKind.BARRIER, 0, 0);
        if (links == null) {
            return;
        }
        try {
            passTokens(call);
        } catch (RuntimeException e) {
            throw failed(e);
        }
    }

    /**
     * N−1 steps of sending an empty frame on and taking one from the predecessor: the token taken at
     * step s says that ranks r−1 … r−1−s have arrived, so after the last step all have.
     */
    private void passTokens(CollectiveCall call) {
        for (int step = 0; step < ring.steps(); step++) {
            links.send(Frames.allocate(links.allocator(), call, 0));
            ByteBuf frame = receiveFrame(call);
            try {
                if (Frames.payloadBytes(frame) != 0) {
                    throw new CollectiveMismatchException(rank(), call, ring.predecessor(),
                            "a token with " + Frames.payloadBytes(frame) + " bytes of payload");
                }
            } finally {
                frame.release();
            }
        }
    }

    /** Writes data[from, from+count) to the successor in frames of the wire type. */
    private void sendFloats(CollectiveCall call, float[] data, int from, int count, WireType wire) {
        int perFrame = options.frameBytes() / WireCopy.bytes(wire);
        for (int done = 0; done < count; done += perFrame) {
            int pieceCount = Math.min(perFrame, count - done);
            ByteBuf frame = Frames.allocate(links.allocator(), call, pieceCount * WireCopy.bytes(wire));
            WireCopy.store(data, from + done, pieceCount, Frames.outgoingPayload(frame), 0, wire);
            links.send(frame);
        }
    }

    private void sendBytes(CollectiveCall call, byte[] data, int from, int count) {
        for (int done = 0; done < count; done += options.frameBytes()) {
            int pieceCount = Math.min(options.frameBytes(), count - done);
            ByteBuf frame = Frames.allocate(links.allocator(), call, pieceCount);
            MemorySegment.copy(data, from + done, Frames.outgoingPayload(frame), ValueLayout.JAVA_BYTE, 0, pieceCount);
            links.send(frame);
        }
    }

    /** Takes frames until data[from, from+count) has arrived, adding it in f32 or overwriting. */
    private void receiveFloats(CollectiveCall call, float[] data, int from, int count, WireType wire, boolean add) {
        receive(call, count, WireCopy.bytes(wire), (payload, at, pieceCount) -> {
            if (add) {
                WireCopy.add(payload, 0, wire, data, from + at, pieceCount);
            } else {
                WireCopy.load(payload, 0, wire, data, from + at, pieceCount);
            }
        });
    }

    /** What to do with a received piece: elements [at, at+count) of the awaited range. */
    private interface PieceReader {
        void read(MemorySegment payload, int at, int count);
    }

    /** Takes frames of {@code call} from the predecessor until {@code count} elements have arrived. */
    private void receive(CollectiveCall call, int count, int elementBytes, PieceReader reader) {
        for (int done = 0; done < count; ) {
            ByteBuf frame = receiveFrame(call);
            try {
                int bytes = Frames.payloadBytes(frame);
                int pieceCount = bytes / elementBytes;
                if (bytes % elementBytes != 0 || pieceCount == 0 || pieceCount > count - done) {
                    throw new CollectiveMismatchException(rank(), call, ring.predecessor(), "a piece of " + bytes
                            + " bytes where " + (count - done) + " elements of " + elementBytes + " bytes remained");
                }
                reader.read(Frames.incomingPayload(frame), done, pieceCount);
                done += pieceCount;
            } finally {
                frame.release();
            }
        }
    }

    /** The next frame from the predecessor, checked to belong to {@code call}. */
    private ByteBuf receiveFrame(CollectiveCall call) {
        ByteBuf frame = links.receive(call, call.kind() == FrameKind.JOIN ? options.joinTimeout() : options.timeout());
        try {
            CollectiveCall got = Frames.header(frame);
            if (!got.equals(call)) {
                throw new CollectiveMismatchException(rank(), call, ring.predecessor(), got);
            }
            return frame;
        } catch (IllegalArgumentException e) {
            frame.release();
            throw new CollectiveMismatchException(rank(), call, ring.predecessor(), e.getMessage());
        } catch (RuntimeException e) {
            frame.release();
            throw e;
        }
    }

    private static void roundToBf16(float[] data, int from, int count) {
        for (int i = from; i < from + count; i++) {
            data[i] = Bf16.round(data[i]);
        }
    }

    /** Checks the communicator is usable and numbers the next collective. */
    private CollectiveCall begin(FrameKind kind, int length, int root) {
        if (closed) {
            throw new IllegalStateException("rank " + rank() + ": communicator closed");
        }
        if (failure != null) {
            throw new IllegalStateException("rank " + rank() + ": communicator broken by an earlier failure: " + failure);
        }
        return new CollectiveCall(++sequence, kind, length, root);
    }

    private RuntimeException failed(RuntimeException e) {
        failure = e.getMessage();
        return e;
    }

    /** Lets the frames already sent drain, closes the connections and stops the event loop. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (links != null) {
            links.close();
        }
    }
}
