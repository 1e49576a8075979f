package io.isthmus.runtime.kernel.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class JitActivityTest {

    private static final String IDLE = """
            Current compiles:\s

            C1 compile queue:
            Empty

            C2 compile queue:
            Empty

            """;

    @Test
    void anIdleListingIsIdle() {
        assertTrue(JitActivity.idle(IDLE));
    }

    @Test
    void aRunningCompileIsActivity() {
        assertFalse(JitActivity.idle(IDLE.replace("Current compiles: \n",
                "Current compiles: \nC2 CompilerThread0   611       4       io.isthmus.runtime.kernel.Q4_0Dots::rows4 (612 bytes)\n")));
    }

    @Test
    void aQueuedCompileIsActivity() {
        assertFalse(JitActivity.idle(IDLE.replace("C2 compile queue:\nEmpty",
                "C2 compile queue:\n 678 %     4       io.isthmus.runtime.kernel.F16Kernel::dot2x4 @ 4 (320 bytes)")));
    }
}
