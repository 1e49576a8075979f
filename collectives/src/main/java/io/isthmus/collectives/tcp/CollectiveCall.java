package io.isthmus.collectives.tcp;

/**
 * The header of every frame: which collective of the communicator's sequence it belongs to, and
 * that collective's arguments as every rank must pass them. A rank that called a different
 * collective than its neighbour, or with another length or root, finds out at the first frame.
 *
 * @param sequence 1, 2, ... per communicator (0 is the join)
 * @param length   elements (bytes for a broadcast) of the whole collective, per rank
 * @param root     the broadcast's root; 0 for the other kinds
 */
record CollectiveCall(long sequence, FrameKind kind, int length, int root) {

    @Override
    public String toString() {
        String name = kind.operation + " #" + sequence;
        return switch (kind) {
            case ALL_REDUCE_F32 -> name + " (f32, " + length + " elements)";
            case ALL_REDUCE_BF16 -> name + " (bf16, " + length + " elements)";
            case ALL_GATHER -> name + " (" + length + " elements per rank)";
            case BROADCAST -> name + " (" + length + " bytes from rank " + root + ")";
            case HELLO, JOIN, BARRIER -> name;
        };
    }
}
