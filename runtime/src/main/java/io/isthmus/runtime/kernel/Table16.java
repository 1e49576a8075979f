package io.isthmus.runtime.kernel;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Lane-wise lookup in a 16-entry table of 32-bit values held in {@link #VECTORS} vectors (one at
 * 512 bits, two at 256, four at 128): how the 4-bit kernels (Q4_0, Q4_K, lut4) turn codes into
 * weights in registers. Index bits above the fourth are ignored, as {@code selectFrom} wraps them.
 */
public final class Table16 {
    /** Vectors holding the 16 entries at the configured width. */
    public static final int VECTORS = Math.max(1, 16 / VectorSettings.LANES);

    private Table16() {
    }

    /** entry[index] per lane, the table in t0..t3 (those past {@link #VECTORS} are ignored). */
    public static IntVector select(IntVector index, IntVector t0, IntVector t1, IntVector t2, IntVector t3) {
        return VECTORS == 1 ? index.selectFrom(t0) : VECTORS == 2 ? index.selectFrom(t0, t1)
                : index.selectFrom(t0, t1).blend(index.selectFrom(t2, t3), index.and(8).compare(VectorOperators.NE, 0));
    }
}
