package io.isthmus.runtime.onednn;

import io.isthmus.numa.CpuSet;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The OpenMP settings oneDNN's threads run with. libgomp reads them from the C environment once,
 * when it is loaded, so they are put there (through {@code setenv}) just before oneDNN is loaded:
 * one thread per compute CPU, each bound to its own CPU in the pool's order (the calling thread,
 * the team's master, already sits on the first), and the wait policy. Values already in the
 * environment (the launcher sets OMP_NUM_THREADS and OMP_PLACES for worker ranks, a user may set
 * any) are kept.
 */
final class OpenMpEnvironment {
    /**
     * How idle OpenMP threads wait between oneDNN calls. PASSIVE: they sleep at once, so they never
     * take a core from the Java pool -- between two matmuls of a prefill (norms, attention), and
     * above all during decode, which runs on the Java pool only: under ACTIVE, libgomp's threads
     * spin (GOMP_SPINCOUNT 30 billion) on the pool's cores from the prompt's last matmul on. The cost
     * is a futex wake-up per call, small against a prefill matmul of milliseconds on an idle
     * machine. examples/bench/onednn-amx.sh times the layer-stack prefill under ACTIVE beside it.
     */
    static final String DEFAULT_WAIT_POLICY = "PASSIVE";

    private OpenMpEnvironment() {
    }

    /** The variables for a team on {@code cpus}. */
    static Map<String, String> forCpus(CpuSet cpus) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("OMP_NUM_THREADS", String.valueOf(cpus.size()));
        env.put("OMP_PLACES", Arrays.stream(cpus.toArray()).mapToObj(c -> "{" + c + "}").collect(Collectors.joining(",")));
        env.put("OMP_PROC_BIND", "close");
        env.put("OMP_WAIT_POLICY", DEFAULT_WAIT_POLICY);
        return env;
    }

    /** Sets each variable of {@link #forCpus} that the environment does not have yet; returns what is in force. */
    static Map<String, String> apply(CpuSet cpus) {
        Map<String, String> inForce = new LinkedHashMap<>();
        Linker linker = Linker.nativeLinker();
        MethodHandle setenv = linker.downcallHandle(linker.defaultLookup().find("setenv").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        MethodHandle getenv = linker.downcallHandle(linker.defaultLookup().find("getenv").orElseThrow(),
                FunctionDescriptor.of(ADDRESS, ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            for (Map.Entry<String, String> e : forCpus(cpus).entrySet()) {
                MemorySegment name = arena.allocateFrom(e.getKey());
                MemorySegment current = (MemorySegment) getenv.invokeExact(name);
                if (!current.equals(MemorySegment.NULL)) {
                    inForce.put(e.getKey(), current.reinterpret(Long.MAX_VALUE).getString(0));
                    continue;
                }
                int rc = (int) setenv.invokeExact(name, arena.allocateFrom(e.getValue()), 0);
                if (rc != 0) {
                    throw new IllegalStateException("setenv(" + e.getKey() + ") failed");
                }
                inForce.put(e.getKey(), e.getValue());
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        return inForce;
    }
}
