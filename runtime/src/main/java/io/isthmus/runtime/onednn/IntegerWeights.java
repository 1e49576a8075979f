package io.isthmus.runtime.onednn;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Integer weights with grouped scales, as oneDNN's weight decompression reads them: N output rows
 * × K inputs, {@code w[r][c] = (code[r][c] − zero[r][c / group]) · scale[r][c / group]}.
 *
 * @param codes      N×K codes, row-major: one byte each for {@link DataType#S8}, two per byte (low
 *                   nibble first) for {@link DataType#U4} / {@link DataType#S4}
 * @param type       S8, U4 or S4
 * @param group      inputs per scale (K for one scale per row)
 * @param scales     N × (K / group) f32, row-major
 * @param zeroPoints N × (K / group) u8, row-major, or null for symmetric codes
 */
public record IntegerWeights(int rows, int cols, MemorySegment codes, DataType type, int group, MemorySegment scales,
                             MemorySegment zeroPoints) {

    public IntegerWeights {
        Objects.requireNonNull(codes);
        Objects.requireNonNull(scales);
        if (type != DataType.S8 && type != DataType.U4 && type != DataType.S4) {
            throw new IllegalArgumentException("weight decompression takes s8, u4 or s4 codes, not " + type);
        }
        if (group <= 0 || cols % group != 0) {
            throw new IllegalArgumentException("group " + group + " does not divide " + cols + " columns");
        }
        long groups = (long) rows * (cols / group);
        if (codes.byteSize() != type.bytes((long) rows * cols) || scales.byteSize() != 4 * groups
                || (zeroPoints != null && zeroPoints.byteSize() != groups)) {
            throw new IllegalArgumentException("integer weight parts do not fit " + rows + "×" + cols + " " + type
                    + " with groups of " + group);
        }
    }

    /** Groups per row. */
    public int groupsPerRow() {
        return cols / group;
    }
}
