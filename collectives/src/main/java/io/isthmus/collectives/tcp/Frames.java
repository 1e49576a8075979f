package io.isthmus.collectives.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The wire format of the ring connections. A frame is a 4-byte length (of what follows), the
 * header (sequence: long, kind: byte, length: int, root: int), then the payload. Length and header
 * are big-endian; payload values are in native byte order, which the hello checks is the same on
 * both ends.
 */
final class Frames {
    static final int LENGTH_FIELD_BYTES = 4;
    static final int HEADER_BYTES = 8 + 1 + 4 + 4;
    static final int MAX_PAYLOAD_BYTES = 16 << 20;
    private static final int HELLO_PAYLOAD_BYTES = 4 + 4 + 1;

    /** Who opened a ring connection, as its first frame says. */
    record Hello(int rank, int worldSize, boolean littleEndian) {
    }

    private Frames() {
    }

    /** Splits the incoming byte stream into frames (without their length field). */
    static LengthFieldBasedFrameDecoder decoder() {
        return new LengthFieldBasedFrameDecoder(HEADER_BYTES + MAX_PAYLOAD_BYTES, 0, LENGTH_FIELD_BYTES, 0,
                LENGTH_FIELD_BYTES);
    }

    /** A frame of {@code call} with room for {@code payloadBytes}, to fill through {@link #outgoingPayload}. */
    static ByteBuf allocate(ByteBufAllocator allocator, CollectiveCall call, int payloadBytes) {
        return allocate(allocator, call.sequence(), call.kind(), call.length(), call.root(), payloadBytes);
    }

    private static ByteBuf allocate(ByteBufAllocator allocator, long sequence, FrameKind kind, int length, int root,
            int payloadBytes) {
        if (payloadBytes < 0 || payloadBytes > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("payload of " + payloadBytes + " bytes outside [0, " + MAX_PAYLOAD_BYTES + "]");
        }
        int total = LENGTH_FIELD_BYTES + HEADER_BYTES + payloadBytes;
        ByteBuf frame = allocator.directBuffer(total, total);
        frame.writeInt(HEADER_BYTES + payloadBytes).writeLong(sequence).writeByte(kind.code()).writeInt(length)
                .writeInt(root);
        frame.writerIndex(total);
        return frame;
    }

    /** The payload area of a frame made by {@link #allocate}. */
    static MemorySegment outgoingPayload(ByteBuf frame) {
        int start = frame.readerIndex() + LENGTH_FIELD_BYTES + HEADER_BYTES;
        return MemorySegment.ofBuffer(frame.nioBuffer(start, frame.writerIndex() - start));
    }

    /**
     * The header of a frame as the decoder delivers it.
     *
     * @throws IllegalArgumentException when its kind byte names no kind
     */
    static CollectiveCall header(ByteBuf frame) {
        int at = frame.readerIndex();
        if (frame.readableBytes() < HEADER_BYTES) {
            throw new IllegalArgumentException("a frame of " + frame.readableBytes() + " bytes, shorter than a header");
        }
        byte code = frame.getByte(at + 8);
        FrameKind kind = FrameKind.ofCode(code);
        if (kind == null) {
            throw new IllegalArgumentException("a frame of unknown kind " + code);
        }
        return new CollectiveCall(frame.getLong(at), kind, frame.getInt(at + 9), frame.getInt(at + 13));
    }

    static int payloadBytes(ByteBuf frame) {
        return frame.readableBytes() - HEADER_BYTES;
    }

    /** The payload of a frame as the decoder delivers it. */
    static MemorySegment incomingPayload(ByteBuf frame) {
        return MemorySegment.ofBuffer(frame.nioBuffer(frame.readerIndex() + HEADER_BYTES, payloadBytes(frame)));
    }

    static ByteBuf hello(ByteBufAllocator allocator, int rank, int worldSize) {
        ByteBuf frame = allocate(allocator, -1, FrameKind.HELLO, 0, 0, HELLO_PAYLOAD_BYTES);
        int at = LENGTH_FIELD_BYTES + HEADER_BYTES;
        frame.setInt(at, rank).setInt(at + 4, worldSize)
                .setByte(at + 8, ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? 1 : 0);
        return frame;
    }

    /** The hello a frame carries, or null when it is not a hello. */
    static Hello readHello(ByteBuf frame) {
        if (frame.readableBytes() != HEADER_BYTES + HELLO_PAYLOAD_BYTES
                || frame.getByte(frame.readerIndex() + 8) != FrameKind.HELLO.code()) {
            return null;
        }
        int at = frame.readerIndex() + HEADER_BYTES;
        return new Hello(frame.getInt(at), frame.getInt(at + 4), frame.getByte(at + 8) == 1);
    }
}
