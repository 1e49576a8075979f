package io.isthmus.runtime.quant;

import io.isthmus.runtime.config.FormatSpec;

import java.lang.foreign.Arena;
import java.util.BitSet;

/**
 * A family whose search can leave out positions that are stored elsewhere: the outliers the
 * {@code +sparse} wrapper keeps exactly. Families without it get those positions as zeros instead.
 */
public interface OutlierAwareFormat extends PackedFormat {

    /**
     * As {@link #quantize}, but position {@code row * cols + col} is left out of the search when
     * {@code excluded} has its bit set, and its code is the one decoding to the value nearest zero.
     */
    PackedMatrix quantize(String tensorName, float[] w, int rows, int cols, FormatSpec spec,
                          Calibration calibration, Arena arena, BitSet excluded);
}
