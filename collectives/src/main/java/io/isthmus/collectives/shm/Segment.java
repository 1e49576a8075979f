package io.isthmus.collectives.shm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * One rank's shared-memory file, mapped. Layout: a 256-byte header (ready word, geometry, the
 * owner's pid, and the rank's sequence word on its own cache line), then two buffers used
 * alternately by successive data rounds; each buffer has an input area and an output area of
 * {@code bufferBytes} each.
 */
final class Segment {
    static final int READY = 0x4953_4d31; // "ISM1"
    private static final long READY_OFFSET = 0;
    private static final long WORLD_OFFSET = 4;
    private static final long RANK_OFFSET = 8;
    private static final long BUFFER_BYTES_OFFSET = 12;
    private static final long PID_OFFSET = 16;
    private static final long SEQUENCE_OFFSET = 64;
    static final long HEADER_BYTES = 256;

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    final MemorySegment memory;
    private final int bufferBytes;

    private Segment(MemorySegment memory, int bufferBytes) {
        this.memory = memory;
        this.bufferBytes = bufferBytes;
    }

    static long fileBytes(int bufferBytes) {
        return HEADER_BYTES + 4L * bufferBytes;
    }

    /**
     * Creates {@code file} for {@code rank}: written under a temporary name, touched page by page by
     * this thread (so tmpfs places the pages on this rank's NUMA node), then renamed into place so a
     * peer that sees the name sees a complete segment.
     */
    static Segment create(Path file, int rank, int worldSize, int bufferBytes, Arena arena) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        MemorySegment memory;
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            memory = channel.map(FileChannel.MapMode.READ_WRITE, 0, fileBytes(bufferBytes), arena);
        }
        memory.fill((byte) 0);
        memory.set(ValueLayout.JAVA_INT, WORLD_OFFSET, worldSize);
        memory.set(ValueLayout.JAVA_INT, RANK_OFFSET, rank);
        memory.set(ValueLayout.JAVA_INT, BUFFER_BYTES_OFFSET, bufferBytes);
        memory.set(ValueLayout.JAVA_LONG, PID_OFFSET, ProcessHandle.current().pid());
        // Release: the geometry written above is visible to whoever acquires READY.
        INT.setRelease(memory, READY_OFFSET, READY);
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
        return new Segment(memory, bufferBytes);
    }

    /** Maps a peer's segment and checks that it was made for this job's geometry. */
    static Segment open(Path file, int rank, int worldSize, int bufferBytes, Arena arena) throws IOException {
        MemorySegment memory;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (channel.size() != fileBytes(bufferBytes)) {
                throw new IllegalStateException(file + " holds " + channel.size() + " bytes, expected "
                        + fileBytes(bufferBytes) + " (a different buffer size, or a stale job directory)");
            }
            memory = channel.map(FileChannel.MapMode.READ_WRITE, 0, fileBytes(bufferBytes), arena);
        }
        // Acquire: pairs with the release in create(), so the geometry read below is complete.
        int ready = (int) INT.getAcquire(memory, READY_OFFSET);
        int world = memory.get(ValueLayout.JAVA_INT, WORLD_OFFSET);
        int owner = memory.get(ValueLayout.JAVA_INT, RANK_OFFSET);
        int buffer = memory.get(ValueLayout.JAVA_INT, BUFFER_BYTES_OFFSET);
        if (ready != READY || world != worldSize || owner != rank || buffer != bufferBytes) {
            throw new IllegalStateException(file + " was made for rank " + owner + " of " + world
                    + " with " + buffer + "-byte buffers; expected rank " + rank + " of " + worldSize
                    + " with " + bufferBytes + " (a stale job directory?)");
        }
        return new Segment(memory, bufferBytes);
    }

    /**
     * Publishes that this rank reached {@code step}. Release: every write this rank made to its
     * buffers before (the data of this step) and every read it made of peers' buffers (the data of
     * the previous step) happen before a peer that acquires the new value acts on it.
     */
    void publish(long step) {
        LONG.setRelease(memory, SEQUENCE_OFFSET, step);
    }

    /** Acquire: pairs with publish(), so the data this rank wrote for the step is visible after. */
    long sequence() {
        return (long) LONG.getAcquire(memory, SEQUENCE_OFFSET);
    }

    /** The pid of the process that created this segment (the rank's process). */
    long ownerPid() {
        return memory.get(ValueLayout.JAVA_LONG, PID_OFFSET);
    }

    long input(long round) {
        return HEADER_BYTES + (round & 1) * 2L * bufferBytes;
    }

    long output(long round) {
        return input(round) + bufferBytes;
    }
}
