package io.isthmus.runtime.quant;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.kernel.WeightMatrix;

import java.lang.foreign.MemorySegment;
import java.util.Map;

/**
 * A weight matrix in one of the packed formats of DESIGN.md §4 (int8, int4, nf4/nf3, lut4/lut3,
 * fp6, each optionally {@code +sparse}). Its {@link #parts()} are everything needed to read it
 * back through {@link PackedFormat#read}: a quantized file stores each part as a raw byte tensor.
 */
public interface PackedMatrix extends WeightMatrix {

    /** The full spec this matrix was packed with (group size and sparse fraction resolved). */
    FormatSpec spec();

    /** Named raw parts (little-endian), e.g. {@code codes}, {@code scales}, {@code lut}, {@code csr.values}. */
    Map<String, MemorySegment> parts();

    @Override
    default String format() {
        return spec().spec();
    }
}
