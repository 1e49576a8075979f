package io.isthmus.runtime.testing;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates ../shared (models, golden outputs, text data); tests needing it skip with a message when absent. */
public final class SharedFiles {
    private SharedFiles() {
    }

    public static Path root() {
        String p = System.getProperty("isthmus.shared", "../shared");
        return Path.of(p).toAbsolutePath().normalize();
    }

    /** The shared file at {@code relative}, or the test is skipped (not failed) saying what is missing. */
    public static Path require(String relative) {
        Path p = root().resolve(relative);
        Assumptions.assumeTrue(Files.exists(p), () -> "skipped: shared test file " + p + " is absent");
        return p;
    }
}
