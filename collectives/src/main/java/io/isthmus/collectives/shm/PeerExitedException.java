package io.isthmus.collectives.shm;

/**
 * A rank waited for in a collective is no longer running: its process exited (or was killed)
 * without reaching the collective. Reported as soon as the wait notices, not after the timeout.
 */
public final class PeerExitedException extends RuntimeException {
    private final int exitedRank;

    public PeerExitedException(int rank, int exitedRank, long pid, String what) {
        super("rank " + rank + ": rank " + exitedRank + " (pid " + pid + ") exited before it could " + what);
        this.exitedRank = exitedRank;
    }

    /** The rank whose process is gone. */
    public int exitedRank() {
        return exitedRank;
    }
}
