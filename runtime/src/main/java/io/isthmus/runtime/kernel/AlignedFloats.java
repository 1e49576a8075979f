package io.isthmus.runtime.kernel;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Places float data that the kernels read with full-width vector loads on 64-byte boundaries.
 *
 * <p>The JVM puts arrays on 8-byte boundaries, so a 512-bit load from a float[] at index 0 crosses
 * two cache lines in 7 placements of 8; on the Zen 5 cores of the development VM that made a 4-bit
 * GEMV 1.3–1.4× slower (lut4 on one core: 12.7–14 GB/s at offsets of 16, 32 and 48 bytes against 17
 * at 0), and the speed of a kernel depended on where the GC happened to put its x. Java has no call
 * for an array's address, but a critical downcall passes a heap array to native code in place: a
 * zero-length {@code memmove} returns the address it was given. The answer holds until the GC moves
 * the array, so callers ask just before the loads; a move in between costs speed, never
 * correctness, because the data is found by index, not by address. Where the downcall is not
 * available, every array counts as aligned (the old behaviour).
 */
public final class AlignedFloats {

    /** Bytes of the boundary: one cache line, one 512-bit vector. */
    public static final int BOUNDARY = 64;
    /** Floats of slack an array needs so that {@code n} floats fit after its first boundary. */
    public static final int SLACK = BOUNDARY / Float.BYTES - 1;

    private static final Optional<MethodHandle> ADDRESS_OF = lookup();

    private static final ThreadLocal<float[][]> STAGE = ThreadLocal.withInitial(() -> new float[1][0]);

    private AlignedFloats() {
    }

    /** The first index of {@code a} whose element starts on a 64-byte boundary now (0 when unknown). */
    static int firstAligned(float[] a) {
        if (ADDRESS_OF.isEmpty() || a.length == 0) {
            return 0;
        }
        MemorySegment heap = MemorySegment.ofArray(a);
        long address;
        try {
            address = ((MemorySegment) ADDRESS_OF.get().invokeExact(heap, heap, 0L)).address();
        } catch (Throwable t) {
            return 0;
        }
        int misaligned = (int) (address & (BOUNDARY - 1));
        return misaligned % Float.BYTES != 0 ? 0 : (BOUNDARY - misaligned) % BOUNDARY / Float.BYTES;
    }

    /** A new array with room for {@code n} floats from its first 64-byte boundary, and that index. */
    public static Span allocate(int n) {
        float[] a = new float[Math.addExact(n, SLACK)];
        return new Span(a, firstAligned(a));
    }

    /**
     * {@code n} floats of {@code x} from {@code off}, copied to a 64-byte boundary of this thread's
     * staging array, which the returned view wraps. The view is valid until the thread stages again.
     */
    public static Span stage(float[] x, int off, int n) {
        float[][] holder = STAGE.get();
        if (holder[0].length < n + SLACK) {
            holder[0] = new float[Math.addExact(Math.max(n, 2 * holder[0].length), SLACK)];
        }
        float[] a = holder[0];
        int at = firstAligned(a);
        System.arraycopy(x, off, a, at, n);
        return new Span(a, at);
    }

    /** Floats of {@code array} from {@code offset}, a 64-byte boundary when it was made. */
    public record Span(float[] array, int offset) {
    }

    private static Optional<MethodHandle> lookup() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("memmove").map(memmove -> linker.downcallHandle(memmove,
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
                    Linker.Option.critical(true)));
        } catch (RuntimeException | LinkageError e) { // no native access, or no C library: leave arrays as they are
            return Optional.empty();
        }
    }
}
