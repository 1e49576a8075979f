package io.isthmus.numa;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.BitSet;

/**
 * CPU affinity of the calling thread through the Linux C library (FFM downcalls, created once).
 * {@code sched_setaffinity(0, ...)} applies to the calling thread only, so a pool pins each worker
 * from inside that worker. Failures throw {@link IllegalStateException} naming the call and errno.
 */
public final class Affinity {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");

    // int sched_getaffinity(pid_t pid, size_t cpusetsize, cpu_set_t *mask)
    private static final MethodHandle GET_AFFINITY = downcall("sched_getaffinity",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                    ValueLayout.ADDRESS), ERRNO_OPTION);
    private static final MethodHandle SET_AFFINITY = downcall("sched_setaffinity",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                    ValueLayout.ADDRESS), ERRNO_OPTION);
    // int sched_getcpu(void)
    private static final MethodHandle GET_CPU = downcall("sched_getcpu",
            FunctionDescriptor.of(ValueLayout.JAVA_INT), ERRNO_OPTION);

    private static final int EINVAL = 22;
    /** glibc's cpu_set_t is 1024 bits; grown when the kernel says it has more CPUs. */
    private static final int INITIAL_MASK_BYTES = 128;
    private static final int MAX_MASK_BYTES = CoreList.MAX_CPU / 8;

    private Affinity() {
    }

    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name).orElseThrow(
                () -> new UnsupportedOperationException("C library has no " + name + " (not Linux?)"));
        return LINKER.downcallHandle(symbol, fd, options);
    }

    /** The CPUs the calling thread may run on. */
    public static CpuSet currentAffinity() {
        for (int bytes = INITIAL_MASK_BYTES; bytes <= MAX_MASK_BYTES; bytes *= 2) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment state = arena.allocate(CAPTURE);
                MemorySegment mask = arena.allocate(bytes, 8);
                int rc = (int) GET_AFFINITY.invokeExact(state, 0, (long) bytes, mask);
                if (rc >= 0) {
                    // rc is the size in bytes the kernel wrote
                    return CpuSet.of(BitSet.valueOf(mask.asSlice(0, rc == 0 ? bytes : rc)
                            .toArray(ValueLayout.JAVA_BYTE)));
                }
                int errno = (int) ERRNO.get(state, 0L);
                if (errno != EINVAL) {
                    throw failure("sched_getaffinity", errno);
                }
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException("sched_getaffinity downcall failed", t);
            }
        }
        throw new IllegalStateException("sched_getaffinity: mask larger than " + MAX_MASK_BYTES + " bytes");
    }

    /** Restricts the calling thread to exactly {@code cpus}. */
    public static void setCurrentThreadAffinity(CpuSet cpus) {
        setThreadAffinity(0, cpus);
    }

    /**
     * Restricts the thread with kernel id {@code tid} (0: the calling thread) to exactly {@code cpus};
     * a process binding itself late uses it on every entry of {@code /proc/self/task}.
     */
    public static void setThreadAffinity(int tid, CpuSet cpus) {
        if (cpus.isEmpty()) {
            throw new IllegalArgumentException("sched_setaffinity: empty CPU set");
        }
        int bytes = Math.max(INITIAL_MASK_BYTES, (cpus.max() / 64 + 1) * 8);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment mask = arena.allocate(bytes, 8);
            byte[] b = cpus.toBitSet().toByteArray();
            MemorySegment.copy(b, 0, mask, ValueLayout.JAVA_BYTE, 0, b.length);
            int rc = (int) SET_AFFINITY.invokeExact(state, tid, (long) bytes, mask);
            if (rc != 0) {
                throw failure("sched_setaffinity(" + tid + ", " + cpus + ")", (int) ERRNO.get(state, 0L));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("sched_setaffinity downcall failed", t);
        }
    }

    /** Pins the calling thread to the single CPU {@code cpu}. */
    public static void pinCurrentThread(int cpu) {
        setCurrentThreadAffinity(CpuSet.of(cpu));
    }

    /** The CPU the calling thread is running on right now. */
    public static int currentCpu() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int cpu = (int) GET_CPU.invokeExact(state);
            if (cpu < 0) {
                throw failure("sched_getcpu", (int) ERRNO.get(state, 0L));
            }
            return cpu;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("sched_getcpu downcall failed", t);
        }
    }

    private static IllegalStateException failure(String call, int errno) {
        return new IllegalStateException(call + " failed: errno " + errno + " (" + errnoName(errno) + ")");
    }

    private static String errnoName(int errno) {
        return switch (errno) {
            case 1 -> "EPERM";
            case 3 -> "ESRCH";
            case 14 -> "EFAULT";
            case 22 -> "EINVAL";
            default -> "see errno(3)";
        };
    }
}
