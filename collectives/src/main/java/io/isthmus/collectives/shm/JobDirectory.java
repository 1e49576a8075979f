package io.isthmus.collectives.shm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Names and removal of a job's directory of segment files. */
public final class JobDirectory {
    /** Where jobs live by default: tmpfs. */
    public static final Path SHM_ROOT = Path.of("/dev/shm");

    private JobDirectory() {
    }

    /** {@code /dev/shm/isthmus-<job>}. */
    public static Path of(String job) {
        return SHM_ROOT.resolve("isthmus-" + job);
    }

    static Path segmentFile(Path jobDir, int rank) {
        return jobDir.resolve("rank-" + rank + ".seg");
    }

    /** Deletes the directory and every file in it (segments may still be mapped; that is fine). */
    public static void remove(Path jobDir) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(jobDir)) {
            for (Path file : files) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(jobDir);
        } catch (NoSuchFileException gone) {
            // already removed, by a peer or the launcher
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove job directory " + jobDir, e);
        }
    }
}
