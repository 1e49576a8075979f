package io.isthmus.runtime.quant.sparse;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.quant.Calibration;
import io.isthmus.runtime.quant.OutlierAwareFormat;
import io.isthmus.runtime.quant.PackedFormat;
import io.isthmus.runtime.quant.PackedMatrix;
import io.isthmus.runtime.quant.Sensitivity;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * The {@code +sparse[P]} suffix over any packed family (SqueezeLLM's dense-and-sparse
 * decomposition, DESIGN.md §4): the P percent of positions with the largest sensitivity-weighted
 * magnitude are kept exactly in CSR and left out of the dense family's search — a family that is
 * an {@link OutlierAwareFormat} skips them, any other sees zeros there. Each kept value is stored
 * as its difference from what the dense part decodes at that position, so dense + sparse
 * reproduces it exactly.
 */
public final class SparseFormat implements PackedFormat {

    /** SqueezeLLM's default fraction, in percent. */
    public static final double DEFAULT_PERCENT = 0.45;
    public static final double MIN_PERCENT = 0.05;
    public static final double MAX_PERCENT = 0.5;

    private static final String CSR_PREFIX = "csr.";

    private final PackedFormat dense;

    /** {@code dense} with the +sparse suffix. */
    public SparseFormat(PackedFormat dense) {
        this.dense = Objects.requireNonNull(dense);
        if (dense instanceof SparseFormat) {
            throw new IllegalArgumentException("+sparse cannot wrap " + dense.name() + "+sparse again");
        }
    }

    @Override
    public String name() {
        return dense.name();
    }

    @Override
    public FormatSpec resolve(FormatSpec spec) {
        if (!spec.sparse()) {
            throw new IllegalArgumentException("format '" + spec + "' has no +sparse suffix");
        }
        double p = spec.sparsePercent().orElse(DEFAULT_PERCENT);
        if (p < MIN_PERCENT || p > MAX_PERCENT) {
            throw new IllegalArgumentException("format '" + spec + "': the sparse fraction must be "
                    + MIN_PERCENT + " to " + MAX_PERCENT + " percent, got " + p);
        }
        FormatSpec d = dense.resolve(denseSpec(spec));
        return new FormatSpec(d.name(), d.groupSize(), true, OptionalDouble.of(p));
    }

    /** {@code spec} without its +sparse suffix. */
    static FormatSpec denseSpec(FormatSpec spec) {
        return new FormatSpec(spec.name(), spec.groupSize(), false, OptionalDouble.empty());
    }

    @Override
    public PackedMatrix quantize(String tensorName, float[] w, int rows, int cols, FormatSpec spec,
                                 Calibration calibration, Arena arena) {
        FormatSpec resolved = resolve(spec);
        float[] sensitivity = Sensitivity.of(calibration, tensorName, cols);
        BitSet outliers = OutlierSelection.select(tensorName, w, rows, cols, sensitivity,
                resolved.sparsePercent().getAsDouble());
        FormatSpec denseSpec = denseSpec(resolved);
        PackedMatrix d;
        if (dense instanceof OutlierAwareFormat aware) {
            d = aware.quantize(tensorName, w, rows, cols, denseSpec, calibration, arena, outliers);
        } else {
            float[] zeroed = w.clone();
            for (int p = outliers.nextSetBit(0); p >= 0; p = outliers.nextSetBit(p + 1)) {
                zeroed[p] = 0;
            }
            d = dense.quantize(tensorName, zeroed, rows, cols, denseSpec, calibration, arena);
        }
        CsrOutliers csr = CsrOutliers.of(w, rows, cols, outliers, (r, out) -> d.dequantizeRow(r, out, 0));
        return new SparseMatrix(resolved, d, csr);
    }

    @Override
    public PackedMatrix read(String tensorName, int rows, int cols, FormatSpec spec, Map<String, MemorySegment> parts) {
        FormatSpec resolved = resolve(spec);
        Map<String, MemorySegment> denseParts = new LinkedHashMap<>();
        parts.forEach((name, seg) -> {
            if (!name.startsWith(CSR_PREFIX)) {
                denseParts.put(name, seg);
            }
        });
        PackedMatrix d = dense.read(tensorName, rows, cols, denseSpec(resolved), denseParts);
        CsrOutliers csr = CsrOutliers.read(tensorName, rows, cols, part(parts, "csr.rows", tensorName),
                part(parts, "csr.cols", tensorName), part(parts, "csr.values", tensorName));
        for (String name : parts.keySet()) {
            if (name.startsWith(CSR_PREFIX) && !name.equals("csr.rows") && !name.equals("csr.cols") && !name.equals("csr.values")) {
                throw new IllegalArgumentException("tensor '" + tensorName + "' has an unknown sparse part '" + name + "'");
            }
        }
        return new SparseMatrix(resolved, d, csr);
    }

    private static MemorySegment part(Map<String, MemorySegment> parts, String name, String tensorName) {
        MemorySegment s = parts.get(name);
        if (s == null) {
            throw new IllegalArgumentException("tensor '" + tensorName + "' has no part '" + name + "'");
        }
        return s;
    }

    @Override
    public String toString() {
        return dense.name() + "+sparse";
    }
}
