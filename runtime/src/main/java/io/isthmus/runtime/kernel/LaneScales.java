package io.isthmus.runtime.kernel;

import java.lang.foreign.Arena;

/**
 * The scale, and the minimum where there are minimums, of each group of an {@link Int4LaneMatrix}'s
 * rows: kept in the format's own compact form (bytes per row count in a GEMV's read), which the
 * matrix's kernels decode into floats a row at a time, just before that row's products (with calls to
 * the implementing classes, not through this interface: see {@code Int4LaneMatrix.decodeScales}). Rows
 * are counted as the matrix stores them, padded up to its groups of rows.
 */
sealed interface LaneScales permits HalfLaneScales, SuperBlockLaneScales {

    /** Whether groups have minimums ({@code w = q·scale + min}); without, the matrix adds a fixed offset. */
    boolean hasMins();

    /** The scale of row {@code row}, group {@code g}. */
    float scale(int row, int g);

    /** The minimum of row {@code row}, group {@code g} (0 without minimums). */
    float min(int row, int g);

    /** Bytes per row. */
    long rowBytes();

    /** Groups that share a part of the scales (a GGUF super-block's d): column slices start at multiples of them. */
    int groupGrain();

    /** Rows {@code [from, from + count)}, a view. */
    LaneScales viewRows(long from, long count);

    /**
     * Rows {@code [row0, row0 + count)} and groups {@code [g0, g0 + groups)} copied into {@code arena};
     * {@code g0} and {@code groups} are multiples of {@link #groupGrain} except where {@code groups}
     * reaches the row's end.
     */
    LaneScales copy(int row0, int count, int g0, int groups, Arena arena);
}
