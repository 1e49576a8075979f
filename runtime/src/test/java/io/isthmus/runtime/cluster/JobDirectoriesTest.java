package io.isthmus.runtime.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobDirectoriesTest {

    @TempDir
    Path root;

    @Test
    void createWritesThisLauncherPid() throws Exception {
        Path dir = JobDirectories.create(root, "a");
        assertEquals(root.resolve("isthmus-a"), dir);
        assertEquals(ProcessHandle.current().pid(), JobDirectories.launcherPid(dir).getAsLong());
    }

    @Test
    void removeStaleRemovesDeadLaunchersDirectoriesOnly() throws Exception {
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        Path stale = Files.createDirectory(root.resolve("isthmus-stale"));
        Files.writeString(stale.resolve(JobDirectories.PID_FILE), dead.pid() + "\n");
        Files.writeString(stale.resolve("rank-0.seg"), "x");
        Path live = JobDirectories.create(root, "live");
        Path unknown = Files.createDirectory(root.resolve("isthmus-nopid"));
        Path other = Files.createDirectory(root.resolve("other"));
        Files.writeString(other.resolve(JobDirectories.PID_FILE), dead.pid() + "\n");

        assertEquals(List.of(stale), JobDirectories.removeStale(root));
        assertFalse(Files.exists(stale));
        assertTrue(Files.isDirectory(live));
        assertTrue(Files.isDirectory(unknown));
        assertTrue(Files.isDirectory(other));
    }
}
