package io.isthmus.collectives;

/** How values travel between ranks; sums are always accumulated in f32. */
public enum WireType {
    F32,
    /** bfloat16 on the wire (half the bytes), rounded to nearest even; summed in f32. */
    BF16
}
