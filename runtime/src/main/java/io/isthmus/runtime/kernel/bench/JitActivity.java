package io.isthmus.runtime.kernel.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Set;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * Whether HotSpot's JIT is at work, for benchmarks that must not time a kernel before C2 has compiled
 * it: the compile queues and current compiles as {@code jcmd PID Compiler.queue} lists them (through
 * the DiagnosticCommand MBean), and the total compilation time. A change in the time alone shows only
 * compiles that finished; a long compile still running, or one still queued, shows in the queue.
 */
final class JitActivity {

    /** The lines of an idle {@code Compiler.queue} listing (trimmed, blanks dropped). */
    private static final Set<String> IDLE_LINES = Set.of("Current compiles:", "C1 compile queue:", "C2 compile queue:", "Empty");

    private final CompilationMXBean compilation = ManagementFactory.getCompilationMXBean();
    private final boolean timed = compilation != null && compilation.isCompilationTimeMonitoringSupported();
    private long lastTime = compileMillis();

    /**
     * True when no compile finished since the last call (or since construction) and none is running
     * or queued now; where the JVM offers neither signal, true.
     */
    boolean quietSinceLastCall() {
        long now = compileMillis();
        boolean noneFinished = now == lastTime;
        lastTime = now;
        return noneFinished && queueEmpty();
    }

    private long compileMillis() {
        return timed ? compilation.getTotalCompilationTime() : 0;
    }

    private static boolean queueEmpty() {
        String listing;
        try {
            listing = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerQueue",
                    new Object[] {null}, new String[] {String[].class.getName()});
        } catch (JMException | RuntimeException e) {
            return true; // not HotSpot, or no diagnostic commands: the compilation time must do
        }
        return idle(listing);
    }

    /** Whether a {@code Compiler.queue} listing shows no compile running or queued. */
    static boolean idle(String listing) {
        return listing.lines().map(String::strip).filter(l -> !l.isEmpty()).allMatch(IDLE_LINES::contains);
    }
}
