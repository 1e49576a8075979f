package io.isthmus.runtime.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Software prefetch for GEMV kernels, which Java lacks as an instruction: a kernel loads one int
 * {@link #DISTANCE} bytes ahead of the weights it is decoding, once per cache line, and hands the
 * xor of the loaded values to {@link #consume} so that the JIT keeps the loads.
 *
 * <p>Only the lut4 kernel does this. On this project's Zen 5 VM its GEMV ran at 8.5 GB/s on one
 * core from DRAM against 23 GB/s from L2 (the hardware prefetcher does not keep ahead of it, and a
 * row then waits on DRAM with only the reorder buffer's worth of lines in flight); touching 1 KiB
 * ahead took it to 13-16.5 GB/s on one core and from 16.6 to 23-27 GB/s on two (11008×4096,
 * {@code -Disthmus.prefetch.bytes=0} against 1024 in alternating runs; 256 B ahead gave 9.8, 512 B
 * 12.2, 2 KiB 11.8 on one core). The same touch made Q8_0, Q4_0 and nf4 slower (Q4_0 by 2×) and
 * left lut3 unchanged, so they do not use it.
 */
public final class Prefetch {

    /** Bytes ahead of the current weights to touch ({@code isthmus.prefetch.bytes}; 0 turns touching off). */
    public static final long DISTANCE = Long.getLong("isthmus.prefetch.bytes", 1024);

    // never equal; the JIT cannot know that, so it must keep what feeds the comparison
    private static int never0 = 0;
    private static int never1 = 1;
    @SuppressWarnings("unused")
    private static volatile int sink;

    private Prefetch() {
    }

    /**
     * The int {@link #DISTANCE} bytes past {@code off} in {@code seg} (clamped to its last int), so
     * that its cache line is on its way from DRAM when the kernel gets there.
     */
    public static int touch(MemorySegment seg, long off) {
        if (DISTANCE == 0) {
            return 0;
        }
        return seg.get(ValueLayout.JAVA_INT_UNALIGNED, Math.min(off + DISTANCE, seg.byteSize() - 4));
    }

    /** Uses the xor of a kernel's touched values, without a store on any real path. */
    public static void consume(int touched) {
        if (touched == never0 & touched == never1) {
            sink = touched;
        }
    }
}
