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

    /**
     * {@code tests} when every shared file they need is present; otherwise one test that is
     * skipped with the message naming what is missing (a factory that throws an assumption would
     * report no test at all).
     */
    public static java.util.stream.Stream<org.junit.jupiter.api.DynamicTest> orSkipped(
            java.util.concurrent.Callable<java.util.List<org.junit.jupiter.api.DynamicTest>> tests) throws Exception {
        try {
            return tests.call().stream();
        } catch (org.opentest4j.TestAbortedException e) {
            return java.util.stream.Stream.of(org.junit.jupiter.api.DynamicTest.dynamicTest("shared files", () -> {
                throw e;
            }));
        }
    }

    /** The shared file at {@code relative}, or the test is skipped (not failed) saying what is missing. */
    public static Path require(String relative) {
        Path p = root().resolve(relative);
        Assumptions.assumeTrue(Files.exists(p), () -> "skipped: shared test file " + p + " is absent");
        return p;
    }
}
