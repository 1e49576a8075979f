package io.isthmus.collectives.shm;

import java.time.Duration;
import java.util.List;

/**
 * Some ranks did not reach a collective (or did not join the job) within the timeout; thrown by
 * the shared-memory and the TCP communicators alike.
 */
public final class PeerTimeoutException extends RuntimeException {
    private final List<Integer> missingRanks;

    public PeerTimeoutException(int rank, List<Integer> missingRanks, String what, Duration timeout) {
        super("rank " + rank + ": " + (missingRanks.size() == 1 ? "rank " : "ranks ")
                + join(missingRanks) + " did not " + what + " within " + timeout.toMillis() + " ms");
        this.missingRanks = List.copyOf(missingRanks);
    }

    /** The ranks that were waited for and never arrived, in ascending order. */
    public List<Integer> missingRanks() {
        return missingRanks;
    }

    private static String join(List<Integer> ranks) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < ranks.size(); i++) {
            text.append(i == 0 ? "" : i == ranks.size() - 1 ? " and " : ", ").append(ranks.get(i));
        }
        return text.toString();
    }
}
