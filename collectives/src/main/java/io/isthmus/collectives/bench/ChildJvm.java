package io.isthmus.collectives.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Starts another JVM like this one: the same java binary, class path and JVM flags (the
 * {@code isthmus.jvm.flags} system property when set, else this JVM's own input arguments).
 */
public final class ChildJvm {
    private ChildJvm() {
    }

    public static Process start(Class<?> mainClass, List<String> arguments) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow(
                () -> new IllegalStateException("cannot tell which java binary runs this JVM")));
        String flags = System.getProperty("isthmus.jvm.flags");
        if (flags != null && !flags.isBlank()) {
            command.addAll(Arrays.asList(flags.trim().split("\\s+")));
        } else {
            command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(arguments);
        try {
            return new ProcessBuilder(command).inheritIO().start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** Kills the child and everything it started, and waits for it to go. */
    public static void kill(Process child) {
        child.descendants().forEach(ProcessHandle::destroyForcibly);
        child.destroyForcibly();
        try {
            child.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
