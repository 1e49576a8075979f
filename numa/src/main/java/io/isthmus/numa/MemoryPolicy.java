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
 * NUMA memory placement through the Linux system calls {@code set_mempolicy}, {@code mbind} and
 * {@code get_mempolicy} (FFM downcalls to glibc's {@code syscall}, since glibc wraps none of them;
 * libnuma is not needed). {@code set_mempolicy} governs the calling thread and the threads it starts
 * afterwards, so a worker calls {@link #bindCurrentThread} first thing in main, before it allocates.
 */
public final class MemoryPolicy {

    /** The kernel's policy modes (linux/mempolicy.h). */
    public enum Mode {
        DEFAULT(0), PREFERRED(1), BIND(2), INTERLEAVE(3), LOCAL(4);

        final int value;

        Mode(int value) {
            this.value = value;
        }

        static Mode of(int value) {
            for (Mode m : values()) {
                if (m.value == value) {
                    return m;
                }
            }
            throw new IllegalStateException("get_mempolicy returned unknown mode " + value);
        }
    }

    /** A thread's policy: its mode and the nodes it names (empty for DEFAULT and LOCAL). */
    public record Policy(Mode mode, BitSet nodes) {
    }

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");

    private static final MethodHandle SYSCALL_3 = syscall(3);
    private static final MethodHandle SYSCALL_5 = syscall(5);
    private static final MethodHandle SYSCALL_6 = syscall(6);

    private static final boolean AARCH64 = System.getProperty("os.arch").equals("aarch64");
    private static final long SYS_MBIND = AARCH64 ? 235 : 237;
    private static final long SYS_SET_MEMPOLICY = AARCH64 ? 237 : 238;
    private static final long SYS_GET_MEMPOLICY = AARCH64 ? 236 : 239;

    private static final int MPOL_F_NODE = 1;
    private static final int MPOL_F_ADDR = 2;
    private static final int MPOL_MF_STRICT = 1;
    private static final int MPOL_MF_MOVE = 2;
    /** Bits of the node masks passed to the kernel; covers every node id Linux allows (MAX_NUMNODES ≤ 1024). */
    private static final int MASK_BITS = 1024;

    private MemoryPolicy() {
    }

    /** {@code long syscall(long number, long... args)}: variadic, so one handle per argument count. */
    private static MethodHandle syscall(int args) {
        MemorySegment symbol = LINKER.defaultLookup().find("syscall").orElseThrow(
                () -> new UnsupportedOperationException("C library has no syscall (not Linux?)"));
        ValueLayout.OfLong[] layouts = new ValueLayout.OfLong[args + 1];
        java.util.Arrays.fill(layouts, ValueLayout.JAVA_LONG);
        return LINKER.downcallHandle(symbol, FunctionDescriptor.of(ValueLayout.JAVA_LONG, layouts),
                Linker.Option.firstVariadicArg(1), ERRNO_OPTION);
    }

    /** Pages the calling thread (and threads it starts later) allocates come only from {@code node}. */
    public static void bindCurrentThread(int node) {
        setCurrentThreadPolicy(Mode.BIND, nodeSet(node));
    }

    /** Sets the calling thread's policy; DEFAULT and LOCAL take no nodes. */
    public static void setCurrentThreadPolicy(Mode mode, BitSet nodes) {
        String call = "set_mempolicy(" + mode + ", nodes " + nodes + ")";
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment mask = maskOf(arena, nodes);
            long rc = (long) SYSCALL_3.invokeExact(state, SYS_SET_MEMPOLICY, (long) mode.value,
                    nodes.isEmpty() ? 0L : mask.address(), nodes.isEmpty() ? 0L : (long) MASK_BITS + 1);
            check(rc, state, call);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(call + " downcall failed", t);
        }
    }

    /** The calling thread's policy. */
    public static Policy currentThreadPolicy() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment mode = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment mask = arena.allocate(MASK_BITS / 8, 8);
            long rc = (long) SYSCALL_5.invokeExact(state, SYS_GET_MEMPOLICY, mode.address(), mask.address(),
                    (long) MASK_BITS + 1, 0L, 0L);
            check(rc, state, "get_mempolicy");
            return new Policy(Mode.of(mode.get(ValueLayout.JAVA_INT, 0)),
                    BitSet.valueOf(mask.toArray(ValueLayout.JAVA_BYTE)));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("get_mempolicy downcall failed", t);
        }
    }

    /**
     * Places the pages of {@code segment} (page-aligned; a mapping or an arena allocation) on
     * {@code node}, moving pages already faulted in elsewhere. For memory the rank owns but did not
     * first-touch itself.
     */
    public static void bindSegment(MemorySegment segment, int node) {
        long page = pageSize();
        long start = segment.address() & -page;
        long length = segment.address() + segment.byteSize() - start;
        String call = "mbind(" + segment.byteSize() + " bytes, node " + node + ")";
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment mask = maskOf(arena, nodeSet(node));
            long rc = (long) SYSCALL_6.invokeExact(state, SYS_MBIND, start, length, (long) Mode.BIND.value,
                    mask.address(), (long) MASK_BITS + 1, (long) (MPOL_MF_MOVE | MPOL_MF_STRICT));
            check(rc, state, call);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(call + " downcall failed", t);
        }
    }

    /** The node holding the page at {@code address} (faulted in), as the kernel reports it. */
    public static int nodeOf(MemorySegment segment, long offset) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment node = arena.allocate(ValueLayout.JAVA_INT);
            long rc = (long) SYSCALL_5.invokeExact(state, SYS_GET_MEMPOLICY, node.address(), 0L, 0L,
                    segment.address() + offset, (long) (MPOL_F_NODE | MPOL_F_ADDR));
            check(rc, state, "get_mempolicy(MPOL_F_NODE | MPOL_F_ADDR)");
            return node.get(ValueLayout.JAVA_INT, 0);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("get_mempolicy downcall failed", t);
        }
    }

    private static BitSet nodeSet(int node) {
        if (node < 0 || node >= MASK_BITS) {
            throw new IllegalArgumentException("NUMA node " + node + " is out of range");
        }
        BitSet b = new BitSet();
        b.set(node);
        return b;
    }

    private static MemorySegment maskOf(Arena arena, BitSet nodes) {
        MemorySegment mask = arena.allocate(MASK_BITS / 8, 8);
        byte[] bytes = nodes.toByteArray();
        if (bytes.length > MASK_BITS / 8) {
            throw new IllegalArgumentException("NUMA node " + nodes.length() + " is out of range");
        }
        MemorySegment.copy(bytes, 0, mask, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return mask;
    }

    private static long pageSize() {
        return 4096; // mbind needs a page-aligned start; base pages are 4 KiB on x86-64 and common aarch64 kernels
    }

    private static void check(long rc, MemorySegment state, String call) {
        if (rc < 0) {
            int errno = (int) ERRNO.get(state, 0L);
            throw new IllegalStateException(call + " failed: errno " + errno + " (" + switch (errno) {
                case 1 -> "EPERM";
                case 12 -> "ENOMEM";
                case 14 -> "EFAULT";
                case 22 -> "EINVAL: no such node, or a bad mode";
                case 38 -> "ENOSYS: kernel without NUMA support";
                default -> "see errno(3)";
            } + ")");
        }
    }
}
