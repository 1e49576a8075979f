package io.isthmus.numa;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryPolicyTest {

    /** Runs {@code body} on a fresh thread, so the test JVM's own threads keep their policy. */
    private static <T> T onFreshThread(java.util.concurrent.Callable<T> body) throws Exception {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                result.set(body.call());
            } catch (Exception e) {
                failure.set(e);
            }
        });
        t.start();
        t.join();
        if (failure.get() != null) {
            throw failure.get();
        }
        return result.get();
    }

    @Test
    void bindingAThreadToNodeZeroIsWhatTheKernelReportsAndThreadsItStartsInheritIt() throws Exception {
        MemoryPolicy.Policy[] seen = onFreshThread(() -> {
            MemoryPolicy.Policy before = MemoryPolicy.currentThreadPolicy();
            MemoryPolicy.bindCurrentThread(0);
            MemoryPolicy.Policy after = MemoryPolicy.currentThreadPolicy();
            MemoryPolicy.Policy child = onFreshThread(MemoryPolicy::currentThreadPolicy);
            return new MemoryPolicy.Policy[] {before, after, child};
        });
        assertEquals(MemoryPolicy.Mode.DEFAULT, seen[0].mode());
        BitSet zero = new BitSet();
        zero.set(0);
        assertEquals(new MemoryPolicy.Policy(MemoryPolicy.Mode.BIND, zero), seen[1]);
        assertEquals(seen[1], seen[2], "a thread started after set_mempolicy inherits the policy");
        assertEquals(MemoryPolicy.Mode.DEFAULT, MemoryPolicy.currentThreadPolicy().mode(), "the test thread is untouched");
    }

    @Test
    void aNodeThatDoesNotExistIsAnErrorNamingIt() throws Exception {
        IllegalStateException e = onFreshThread(() ->
                assertThrows(IllegalStateException.class, () -> MemoryPolicy.bindCurrentThread(1000)));
        assertTrue(e.getMessage().contains("set_mempolicy(BIND, nodes {1000})") && e.getMessage().contains("EINVAL"),
                e.getMessage());
    }

    @Test
    void mbindPlacesASegmentsPagesOnTheNode() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(1 << 20, 4096);
            MemoryPolicy.bindSegment(s, 0);
            for (long off = 0; off < s.byteSize(); off += 4096) {
                s.set(ValueLayout.JAVA_BYTE, off, (byte) 1);
            }
            assertEquals(0, MemoryPolicy.nodeOf(s, 0));
            assertEquals(0, MemoryPolicy.nodeOf(s, s.byteSize() - 1));
            assertThrows(IllegalStateException.class, () -> MemoryPolicy.bindSegment(s, 1000));
        }
    }
}
