package io.isthmus.runtime.quant;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.kernel.WeightMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;

/** One packed weight format family (DESIGN.md §4): how to quantize a matrix into it and read one back. */
public interface PackedFormat {

    /** The NAME of the spec strings this family takes: {@code int8}, {@code nf4}, {@code lut3}, {@code fp6}, ... */
    String name();

    /**
     * {@code spec} with the family's defaults filled in (group size, sparse percent), or an
     * {@link IllegalArgumentException} saying what the family does not accept.
     */
    FormatSpec resolve(FormatSpec spec);

    /**
     * Quantizes the row-major {@code rows × cols} matrix {@code w} (round to nearest, or the family's
     * search). {@code calibration} is null when no calibration text was given; formats that need it
     * fall back to an unweighted search. Memory for the packed parts comes from {@code arena}.
     */
    PackedMatrix quantize(String tensorName, float[] w, int rows, int cols, FormatSpec spec,
                          Calibration calibration, Arena arena);

    /** Reads back a matrix from the {@link PackedMatrix#parts()} it was written with. */
    PackedMatrix read(String tensorName, int rows, int cols, FormatSpec spec, Map<String, MemorySegment> parts);

    /**
     * Whether {@link #bind} copies this family's matrices into another layout for compute (then a
     * matrix quantized only to be computed with need not be kept in the packed one).
     */
    default boolean bindsToCopy() {
        return false;
    }

    /** {@code m} as a model computes with it: the matrix itself, or a copy in {@code arena} in a layout its kernel reads faster. */
    default WeightMatrix bind(PackedMatrix m, Arena arena) {
        return m;
    }
}
