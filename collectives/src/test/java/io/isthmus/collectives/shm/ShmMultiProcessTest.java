package io.isthmus.collectives.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.collectives.bench.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Rank 0 in the test JVM, rank 1 in a child JVM started with the same java, class path and flags. */
class ShmMultiProcessTest {
    @Test
    void twoProcessesAllReduceToTheSequentialSum() throws Exception {
        Path jobDir = JobDirectory.of("test-mp-" + UUID.randomUUID());
        Process child = ChildJvm.start(ShmRankProcess.class, List.of(jobDir.toString(), "1", "2"));
        try {
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
}
