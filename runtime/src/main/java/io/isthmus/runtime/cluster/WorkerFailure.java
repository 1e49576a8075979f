package io.isthmus.runtime.cluster;

import java.util.List;
import java.util.OptionalInt;

/** A worker that died: its rank, exit status (and signal when killed by one) and last log lines. */
public final class WorkerFailure extends RuntimeException {

    private final int rank;
    private final int exitStatus;
    private final List<String> lastLines;

    public WorkerFailure(int rank, int exitStatus, List<String> lastLines) {
        super(message(rank, exitStatus, lastLines));
        this.rank = rank;
        this.exitStatus = exitStatus;
        this.lastLines = List.copyOf(lastLines);
    }

    public int rank() {
        return rank;
    }

    public int exitStatus() {
        return exitStatus;
    }

    /**
     * The signal that killed the worker. Java reports a signal death as 128 + signal, the shell's
     * convention, so a worker calling exit(137) itself reads the same as one killed by SIGKILL.
     */
    public OptionalInt signal() {
        return exitStatus > 128 && exitStatus < 128 + 65 ? OptionalInt.of(exitStatus - 128) : OptionalInt.empty();
    }

    public List<String> lastLines() {
        return lastLines;
    }

    private static String message(int rank, int exitStatus, List<String> lastLines) {
        StringBuilder sb = new StringBuilder("rank ").append(rank);
        int signal = exitStatus > 128 && exitStatus < 128 + 65 ? exitStatus - 128 : 0;
        if (signal > 0) {
            sb.append(" was killed by signal ").append(signal).append(signalName(signal))
                    .append(" (exit status ").append(exitStatus).append(')');
        } else {
            sb.append(" exited with status ").append(exitStatus);
        }
        if (lastLines.isEmpty()) {
            sb.append("; it printed nothing");
        } else {
            sb.append("; its last lines:");
            lastLines.forEach(l -> sb.append("\n  ").append(l));
        }
        return sb.toString();
    }

    private static String signalName(int signal) {
        return switch (signal) {
            case 2 -> " (SIGINT)";
            case 6 -> " (SIGABRT)";
            case 9 -> " (SIGKILL)";
            case 11 -> " (SIGSEGV)";
            case 15 -> " (SIGTERM)";
            default -> "";
        };
    }
}
