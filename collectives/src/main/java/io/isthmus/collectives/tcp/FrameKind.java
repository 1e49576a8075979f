package io.isthmus.collectives.tcp;

/** What a frame carries; its code is the kind byte of the frame header. */
enum FrameKind {
    /** The first frame on a ring connection: who connects (rank, world size, byte order). */
    HELLO("hello"),
    /** The token round that ends {@code create}: every ring connection is up. */
    JOIN("join"),
    ALL_REDUCE_F32("allReduceSum"),
    ALL_REDUCE_BF16("allReduceSum"),
    ALL_GATHER("allGather"),
    BROADCAST("broadcast"),
    BARRIER("barrier");

    private static final FrameKind[] BY_CODE = values();

    final String operation;

    FrameKind(String operation) {
        this.operation = operation;
    }

    byte code() {
        return (byte) ordinal();
    }

    /** The kind of a code read off the wire, or null when no kind has it. */
    static FrameKind ofCode(byte code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
