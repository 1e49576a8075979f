package io.isthmus.numa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AffinityTest {

    @Test
    void readsAffinityAndCurrentCpu() {
        CpuSet allowed = Affinity.currentAffinity();
        assertFalse(allowed.isEmpty());
        assertTrue(allowed.size() <= Runtime.getRuntime().availableProcessors() || allowed.size() > 0);
        assertTrue(allowed.contains(Affinity.currentCpu()), "running CPU within the allowed set");
    }

    @Test
    void pinsOnlyTheCallingThread() throws Exception {
        CpuSet allowed = Affinity.currentAffinity();
        int target = allowed.max();
        AtomicReference<Object> result = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                Affinity.pinCurrentThread(target);
                CpuSet now = Affinity.currentAffinity();
                int cpu = Affinity.currentCpu();
                result.set(new Object[] {now, cpu});
            } catch (Throwable e) {
                result.set(e);
            }
        });
        t.start();
        t.join();
        if (result.get() instanceof Throwable e) {
            throw new AssertionError(e);
        }
        Object[] r = (Object[]) result.get();
        assertEquals(CpuSet.of(target), r[0]);
        assertEquals(target, r[1]);
        assertEquals(allowed, Affinity.currentAffinity(), "the test thread is untouched");
    }

    @Test
    void failureNamesCallAndErrno() {
        // a CPU far above any this machine has: the kernel answers EINVAL
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Affinity.setCurrentThreadAffinity(CpuSet.of(CoreList.MAX_CPU - 1)));
        assertTrue(e.getMessage().contains("sched_setaffinity"), e.getMessage());
        assertTrue(e.getMessage().contains("errno 22"), e.getMessage());
    }
}
