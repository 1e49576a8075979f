package io.isthmus.collectives.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.collectives.bench.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Rank 0 in the test JVM, rank 1 in a child JVM started with the same java, class path and flags.
 * The test plays the launcher's part too: it creates the job directory and removes it.
 */
class ShmMultiProcessTest {
    @Test
    void twoProcessesAllReduceToTheSequentialSum() throws Exception {
        Path jobDir = JobDirectory.of("test-mp-" + UUID.randomUUID());
        Files.createDirectories(jobDir);
        Process child = ChildJvm.start(ShmRankProcess.class, List.of(jobDir.toString(), "1", "2"));
        try {
            List<RankInfo> ranks = Rendezvous.join(jobDir, RankInfo.ofThisProcess(0, -1), 2,
                    ShmRankProcess.OPTIONS.joinTimeout());
            assertEquals(ProcessHandle.current().pid(), ranks.get(0).pid());
            assertEquals(child.pid(), ranks.get(1).pid(), "rank 1 registered from the child JVM");
            assertEquals("rank-1.seg", ranks.get(1).segment());
            try (ShmCommunicator comm = ShmCommunicator.create(jobDir, 0, 2, ShmRankProcess.OPTIONS)) {
                assertNull(ShmRankProcess.run(comm));
            }
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "rank 1 did not exit");
            assertEquals(0, child.exitValue(), "rank 1's exit status");
        } finally {
            ChildJvm.kill(child);
            JobDirectory.remove(jobDir);
        }
        assertFalse(Files.exists(jobDir));
    }

    @Test
    void aPeerWhoseProcessDiedIsReportedLongBeforeTheTimeout() throws Exception {
        Path jobDir = JobDirectory.of("test-mp-" + UUID.randomUUID());
        Files.createDirectories(jobDir);
        Process child = ChildJvm.start(ShmRankProcess.class, List.of(jobDir.toString(), "1", "2", "halt"));
        try {
            Rendezvous.join(jobDir, RankInfo.ofThisProcess(0, -1), 2, ShmRankProcess.OPTIONS.joinTimeout());
            try (ShmCommunicator comm = ShmCommunicator.create(jobDir, 0, 2, ShmRankProcess.OPTIONS)) {
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "rank 1 did not halt");
                long start = System.nanoTime();
                PeerExitedException e = assertThrows(PeerExitedException.class, () -> comm.allReduceSum(new float[8], 0, 8));
                double seconds = (System.nanoTime() - start) / 1e9;
                // the collective's timeout is 20 s: the exit is noticed from the pid, not by waiting it out
                assertTrue(seconds < 2, "reported after " + seconds + " s");
                assertEquals(1, e.exitedRank());
                assertEquals("rank 0: rank 1 (pid " + child.pid() + ") exited before it could reach allReduceSum (step 2)",
                        e.getMessage());
                assertThrows(IllegalStateException.class, comm::barrier, "a broken communicator stays broken");
            }
        } finally {
            ChildJvm.kill(child);
            JobDirectory.remove(jobDir);
        }
        assertFalse(Files.exists(jobDir));
    }
}
