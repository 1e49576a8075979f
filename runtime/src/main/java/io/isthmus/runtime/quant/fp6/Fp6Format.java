package io.isthmus.runtime.quant.fp6;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.quant.Calibration;
import io.isthmus.runtime.quant.PackedFormat;
import io.isthmus.runtime.quant.PackedMatrix;
import io.isthmus.runtime.quant.packing.CodePlanes;
import io.isthmus.runtime.quant.packing.GroupScales;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;

/**
 * {@code fp6} (FP6-LLM): e3m2 codes with a per-output-channel f16 scale {@code absmax / 28}, each
 * weight rounded to the nearest e3m2 value. No group size and no +sparse variant.
 */
public final class Fp6Format implements PackedFormat {

    @Override
    public String name() {
        return "fp6";
    }

    @Override
    public FormatSpec resolve(FormatSpec spec) {
        if (spec.groupSize().isPresent() || spec.sparse()) {
            throw new IllegalArgumentException("format '" + spec.spec()
                    + "': fp6 has a scale per output channel, so no -gG, and no +sparse variant");
        }
        return spec;
    }

    /** Round to nearest; calibration is not used. */
    @Override
    public PackedMatrix quantize(String tensorName, float[] w, int rows, int cols, FormatSpec spec,
                                 Calibration calibration, Arena arena) {
        FormatSpec resolved = resolve(spec);
        if ((long) rows * cols != w.length) {
            throw new IllegalArgumentException(tensorName + ": " + w.length + " values are not " + rows + " x " + cols);
        }
        CodePlanes codes = CodePlanes.allocate(rows, cols, Fp6Matrix.WIDTHS, arena);
        GroupScales scales = GroupScales.zeros(rows, 1);
        codes.forEachRow(r -> {
            int base = r * cols;
            float absmax = 0;
            for (int c = 0; c < cols; c++) {
                float v = w[base + c];
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException(tensorName + ": weight (" + r + ", " + c + ") is " + v);
                }
                absmax = Math.max(absmax, Math.abs(v));
            }
            float s = scales.set(r, 0, absmax / E3M2.MAX);
            if (Float.isInfinite(s)) {
                throw new IllegalArgumentException(tensorName + ": row " + r + " reaches " + absmax + ", beyond an f16 scale");
            }
            int[] rowCodes = new int[cols];
            for (int c = 0; c < cols; c++) {
                rowCodes[c] = s == 0 ? 0 : E3M2.nearest(w[base + c] / s);
            }
            codes.setRow(r, rowCodes);
        });
        return new Fp6Matrix(tensorName, resolved, codes, scales);
    }

    @Override
    public PackedMatrix read(String tensorName, int rows, int cols, FormatSpec spec, Map<String, MemorySegment> parts) {
        FormatSpec resolved = resolve(spec);
        MemorySegment[] planes = {parts.get(Fp6Matrix.PARTS[0]), parts.get(Fp6Matrix.PARTS[1])};
        CodePlanes codes = CodePlanes.of(tensorName, rows, cols, Fp6Matrix.WIDTHS, planes, Fp6Matrix.PARTS);
        return new Fp6Matrix(tensorName, resolved, codes, GroupScales.read(tensorName, "scales", parts.get("scales"), rows, 1));
    }
}
