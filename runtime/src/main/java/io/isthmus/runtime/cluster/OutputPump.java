package io.isthmus.runtime.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Consumer;

/**
 * Copies a worker's output line by line to a sink with a {@code [rank N] } prefix, on a thread of
 * its own, keeping the last {@code keep} lines for a failure report.
 */
final class OutputPump {

    private final int rank;
    private final InputStream in;
    private final Consumer<String> sink;
    private final int keep;
    private final ArrayDeque<String> tail = new ArrayDeque<>();
    private final Thread thread;

    OutputPump(int rank, InputStream in, Consumer<String> sink, int keep) {
        this.rank = rank;
        this.in = in;
        this.sink = sink;
        this.keep = keep;
        this.thread = Thread.ofPlatform().daemon().name("isthmus-rank-" + rank + "-output").unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    private void run() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                synchronized (tail) {
                    if (tail.size() == keep) {
                        tail.removeFirst();
                    }
                    tail.addLast(line);
                }
                sink.accept("[rank " + rank + "] " + line);
            }
        } catch (IOException e) {
            // the stream closes when the process is destroyed; what was read is kept
        }
    }

    /** Waits up to {@code millis} for the output to end (the worker exited and its pipe drained). */
    void join(long millis) throws InterruptedException {
        thread.join(millis);
    }

    List<String> lastLines() {
        synchronized (tail) {
            return List.copyOf(tail);
        }
    }
}
