package io.isthmus.collectives.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.collectives.bench.ChildJvm;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Rank 0 in the test JVM, rank 1 in a child JVM started with the same java, class path and flags. */
class TcpMultiProcessTest {
    @Test
    void twoProcessesRunEveryCollectiveOverLoopback() throws Exception {
        int masterPort = FreePorts.belowEphemeralRange();
        Process child = ChildJvm.start(TcpRankProcess.class, List.of(String.valueOf(masterPort), "1", "2"));
        try {
            try (TcpCommunicator comm = TcpCommunicator.create(0, 2, TcpRankProcess.options(masterPort))) {
                assertNull(TcpRankProcess.run(comm));
            }
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "rank 1 did not exit");
            assertEquals(0, child.exitValue(), "rank 1's exit status");
        } finally {
            ChildJvm.kill(child);
        }
    }
}
