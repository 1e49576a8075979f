package io.isthmus.runtime.quant.fp6;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.kernel.RowTiles;
import io.isthmus.runtime.quant.PackedMatrix;
import io.isthmus.runtime.quant.packing.CodePlanes;
import io.isthmus.runtime.quant.packing.GroupScales;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * FP6 e3m2 weights with an f16 scale per output row: {@code w = e3m2(code)·scale[row]}. The 6-bit
 * codes are two {@link CodePlanes} bit planes, as in FP6-LLM's TC-FPx: {@code codes.lo4} (exponent
 * low bits and mantissa) and {@code codes.hi2} (sign and exponent top bit), so every load is aligned.
 * Parts: {@code codes.lo4}, {@code codes.hi2}, {@code scales} (rows f16).
 */
public final class Fp6Matrix implements PackedMatrix {

    /** Plane widths, low bits first. */
    static final int[] WIDTHS = {4, 2};
    static final String[] PARTS = {"codes.lo4", "codes.hi2"};

    private final String name;
    private final FormatSpec spec;
    private final CodePlanes codes;
    private final GroupScales scales;

    Fp6Matrix(String name, FormatSpec spec, CodePlanes codes, GroupScales scales) {
        this.name = Objects.requireNonNull(name);
        this.spec = spec;
        this.codes = codes;
        this.scales = scales;
        if (scales.rows() != codes.rows() || scales.groups() != 1) {
            throw new IllegalArgumentException(name + ": " + scales.rows() + " x " + scales.groups()
                    + " scales for " + codes.rows() + " rows (one per row expected)");
        }
    }

    CodePlanes codes() {
        return codes;
    }

    GroupScales scales() {
        return scales;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public FormatSpec spec() {
        return spec;
    }

    @Override
    public int rows() {
        return codes.rows();
    }

    @Override
    public int cols() {
        return codes.cols();
    }

    @Override
    public long byteSize() {
        return codes.byteSize() + scales.byteSize();
    }

    @Override
    public void matmul(float[] x, int xOff, int m, float[] y, int yOff, int rowFrom, int rowTo) {
        RowTiles.matmul(new Fp6Dots(this), rows(), cols(), x, xOff, m, y, yOff, rowFrom, rowTo);
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        float s = scales.get(row, 0);
        for (int c = 0; c < cols(); c++) {
            out[off + c] = E3M2.value(codes.code(row, c)) * s;
        }
    }

    /** Any column split works: the scale is per row (slices not at multiples of 128 are re-packed). */
    @Override
    public int columnGrain() {
        return 1;
    }

    @Override
    public Fp6Matrix sliceRows(int from, int count) {
        return new Fp6Matrix(name, spec, codes.sliceRows(from, count), scales.sliceRows(from, count));
    }

    @Override
    public Fp6Matrix sliceColumns(int from, int count, Arena arena) {
        return new Fp6Matrix(name, spec, codes.sliceColumns(from, count, arena), scales);
    }

    @Override
    public Map<String, MemorySegment> parts() {
        Map<String, MemorySegment> p = new LinkedHashMap<>();
        p.put(PARTS[0], codes.plane(0));
        p.put(PARTS[1], codes.plane(1));
        p.put("scales", scales.part());
        return p;
    }

    @Override
    public String toString() {
        return name + " (fp6, " + rows() + " x " + cols() + ")";
    }
}
