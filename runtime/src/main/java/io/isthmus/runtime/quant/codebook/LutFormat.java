package io.isthmus.runtime.quant.codebook;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.quant.Calibration;
import io.isthmus.runtime.quant.OutlierAwareFormat;
import io.isthmus.runtime.quant.PackedMatrix;
import io.isthmus.runtime.quant.Sensitivity;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.BitSet;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * {@code lut4} and {@code lut3} (SqueezeLLM, DESIGN.md §4): a codebook of 2^b floats per output row
 * and no scales, found by sensitivity-weighted k-means ({@link LutQuantizer}). Parts: {@code codes}
 * ({@link CodePacking}) and {@code lut} (rows × 2^b little-endian floats).
 */
public final class LutFormat implements OutlierAwareFormat {

    public static final LutFormat LUT4 = new LutFormat(CodePacking.FOUR_BIT);
    public static final LutFormat LUT3 = new LutFormat(CodePacking.THREE_BIT);

    private final CodePacking packing;

    private LutFormat(CodePacking packing) {
        this.packing = packing;
    }

    @Override
    public String name() {
        return "lut" + packing.bits();
    }

    @Override
    public FormatSpec resolve(FormatSpec spec) {
        if (!spec.name().equals(name())) {
            throw new IllegalArgumentException("format '" + spec + "' is not " + name());
        }
        if (spec.groupSize().isPresent()) {
            throw new IllegalArgumentException("format '" + spec + "': " + name()
                    + " has one codebook per output row and takes no group size");
        }
        if (spec.sparse()) {
            throw new IllegalArgumentException("format '" + spec + "': the +sparse part is the sparse wrapper's, not "
                    + name() + "'s (get the family from PackedFormats.forSpec)");
        }
        return new FormatSpec(name(), OptionalInt.empty(), false, OptionalDouble.empty());
    }

    @Override
    public PackedMatrix quantize(String tensorName, float[] w, int rows, int cols, FormatSpec spec,
                                 Calibration calibration, Arena arena) {
        return quantize(tensorName, w, rows, cols, spec, calibration, arena, null);
    }

    @Override
    public PackedMatrix quantize(String tensorName, float[] w, int rows, int cols, FormatSpec spec,
                                 Calibration calibration, Arena arena, BitSet excluded) {
        FormatSpec resolved = resolve(spec);
        LutQuantizer.Result r = LutQuantizer.quantize(tensorName, w, rows, cols, packing,
                Sensitivity.of(calibration, tensorName, cols), excluded);
        MemorySegment codes = arena.allocate(r.codes().length, 64);
        MemorySegment.copy(r.codes(), 0, codes, ValueLayout.JAVA_BYTE, 0, r.codes().length);
        MemorySegment lut = arena.allocate(4L * r.tables().length, 64);
        MemorySegment.copy(r.tables(), 0, lut, LutKernel.FLOAT_LE, 0, r.tables().length);
        return new LutMatrix(tensorName, resolved, packing, rows, cols, codes, lut);
    }

    @Override
    public PackedMatrix read(String tensorName, int rows, int cols, FormatSpec spec, Map<String, MemorySegment> parts) {
        FormatSpec resolved = resolve(spec);
        for (String part : parts.keySet()) {
            if (!part.equals("codes") && !part.equals("lut")) {
                throw new IllegalArgumentException("tensor '" + tensorName + "' (" + resolved + ") has an unknown part '" + part + "'");
            }
        }
        MemorySegment lut = part(parts, "lut", tensorName);
        for (long i = 0; i < lut.byteSize() / 4; i++) { // the kernels multiply padding codes' entries by zero
            float v = lut.getAtIndex(LutKernel.FLOAT_LE, i);
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException("tensor '" + tensorName + "' (" + resolved + ") has table entry " + v
                        + " in row " + i / packing.levels());
            }
        }
        return new LutMatrix(tensorName, resolved, packing, rows, cols, part(parts, "codes", tensorName), lut);
    }

    private MemorySegment part(Map<String, MemorySegment> parts, String part, String tensorName) {
        MemorySegment s = parts.get(part);
        if (s == null) {
            throw new IllegalArgumentException("tensor '" + tensorName + "' (" + name() + ") has no part '" + part + "'");
        }
        return s;
    }

    @Override
    public String toString() {
        return name();
    }
}
