package io.isthmus.collectives.tcp;

/**
 * A neighbour sent frames of another collective than the one this rank is in (or of the same one
 * with another length or root): the ranks did not call the same collectives in the same order.
 */
public final class CollectiveMismatchException extends RuntimeException {
    CollectiveMismatchException(int rank, CollectiveCall expected, int sender, CollectiveCall got) {
        super("rank " + rank + ": rank " + sender + " sent a frame of " + got + " while this rank is in " + expected
                + "; every rank must call the same collectives in the same order with the same lengths");
    }

    CollectiveMismatchException(int rank, CollectiveCall expected, int sender, String what) {
        super("rank " + rank + ": rank " + sender + " sent " + what + " in " + expected);
    }
}
