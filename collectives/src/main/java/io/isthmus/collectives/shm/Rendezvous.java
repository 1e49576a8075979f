package io.isthmus.collectives.shm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.openhft.chronicle.map.ChronicleMap;

/**
 * Ranks meet through a Chronicle Map persisted in the job directory ({@code ranks.cmap}): each
 * puts its {@link RankInfo} under its rank and waits until every rank's entry is there. The map is
 * shared by all ranks' processes through the mapped file; Chronicle Map locks its segments itself.
 */
public final class Rendezvous {
    static final String FILE = "ranks.cmap";

    private Rendezvous() {
    }

    /**
     * Registers {@code me} and returns every rank's entry in rank order, or throws
     * {@link PeerTimeoutException} naming the ranks that did not register within the timeout after
     * this rank did.
     */
    public static List<RankInfo> join(Path jobDir, RankInfo me, int worldSize, Duration timeout) {
        try (ChronicleMap<Integer, CharSequence> ranks = open(jobDir, me, worldSize)) {
            ranks.put(me.rank(), me.encode());
            // counted from this rank's registration: the first open of a map in a JVM generates
            // and compiles classes, which can take seconds on a busy machine
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                List<RankInfo> found = new ArrayList<>(worldSize);
                List<Integer> missing = new ArrayList<>();
                for (int rank = 0; rank < worldSize; rank++) {
                    CharSequence entry = ranks.get(rank);
                    if (entry == null) {
                        missing.add(rank);
                    } else {
                        found.add(RankInfo.decode(entry));
                    }
                }
                if (missing.isEmpty()) {
                    return found;
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new PeerTimeoutException(me.rank(), missing, "register at the rendezvous in " + jobDir, timeout);
                }
                sleepAMillisecond(me.rank());
            }
        }
    }

    private static ChronicleMap<Integer, CharSequence> open(Path jobDir, RankInfo me, int worldSize) {
        try {
            // Whichever rank comes first creates the file; the rest open it (Chronicle Map takes a
            // file lock for the creation, so concurrent joins agree on one map).
            return ChronicleMap.of(Integer.class, CharSequence.class)
                    .name("isthmus-ranks")
                    .entries(Math.max(worldSize, 8))
                    .averageValue(me.encode() + "0123456789abcdef")
                    .createPersistedTo(jobDir.resolve(FILE).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("rank " + me.rank() + " cannot open the rendezvous in " + jobDir, e);
        }
    }

    private static void sleepAMillisecond(int rank) {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("rank " + rank + " interrupted at the rendezvous", e);
        }
    }
}
