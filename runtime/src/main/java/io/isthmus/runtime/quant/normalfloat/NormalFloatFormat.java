package io.isthmus.runtime.quant.normalfloat;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.quant.Calibration;
import io.isthmus.runtime.quant.PackedFormat;
import io.isthmus.runtime.quant.PackedMatrix;
import io.isthmus.runtime.quant.lookup.LookupMatrix;
import io.isthmus.runtime.quant.packing.CodePlanes;
import io.isthmus.runtime.quant.packing.GroupScales;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * {@code nf4} / {@code nf3} (QLoRA NormalFloat, as FLUTE runs it): ONE table of 2^b levels per
 * tensor (the NormalFloat table; a file may carry another, e.g. a learned one) times an f16 absmax
 * scale per row and group of G columns along the input dimension, G = 32, 64 (default), 128 or 256:
 * {@code w = table[code]·scale[row][col / G]}. Codes round to the nearest level; with a
 * {@link Calibration} each group's scale is searched to minimise the layer's output error
 * ({@link GroupScaleSearch}).
 */
public final class NormalFloatFormat implements PackedFormat {

    public static final NormalFloatFormat NF4 = new NormalFloatFormat(4);
    public static final NormalFloatFormat NF3 = new NormalFloatFormat(3);

    static final int DEFAULT_GROUP = 64;
    static final Set<Integer> GROUPS = Set.of(32, 64, 128, 256);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int bits;

    private NormalFloatFormat(int bits) {
        this.bits = bits;
    }

    @Override
    public String name() {
        return "nf" + bits;
    }

    @Override
    public FormatSpec resolve(FormatSpec spec) {
        if (spec.sparse()) {
            throw new IllegalArgumentException("format '" + spec.spec() + "': " + name() + " has no +sparse variant");
        }
        int g = spec.groupSize().orElse(DEFAULT_GROUP);
        if (!GROUPS.contains(g)) {
            throw new IllegalArgumentException("format '" + spec.spec() + "': " + name()
                    + " takes groups of 32, 64, 128 or 256 columns, not " + g);
        }
        return new FormatSpec(name(), OptionalInt.of(g), false, spec.sparsePercent());
    }

    @Override
    public PackedMatrix quantize(String tensorName, float[] w, int rows, int cols, FormatSpec spec,
                                 Calibration calibration, Arena arena) {
        FormatSpec resolved = resolve(spec);
        int g = resolved.groupSize().getAsInt();
        if ((long) rows * cols != w.length) {
            throw new IllegalArgumentException(tensorName + ": " + w.length + " values are not " + rows + " x " + cols);
        }
        float[] table = NormalFloatTable.of(bits);
        GroupScaleSearch search = new GroupScaleSearch(table);
        float[] weights = calibration == null ? null : ColumnWeights.of(calibration, tensorName, cols);
        CodePlanes codes = CodePlanes.allocate(rows, cols, LookupMatrix.planeWidths(bits), arena);
        int groups = LookupMatrix.groups(cols, g);
        GroupScales scales = GroupScales.zeros(rows, groups);
        codes.forEachRow(r -> {
            int[] rowCodes = new int[cols];
            int base = r * cols;
            for (int gi = 0; gi < groups; gi++) {
                int from = gi * g, to = Math.min(cols, from + g);
                for (int c = from; c < to; c++) {
                    if (!Float.isFinite(w[base + c])) {
                        throw new IllegalArgumentException(tensorName + ": weight (" + r + ", " + c + ") is " + w[base + c]);
                    }
                }
                float s = scales.set(r, gi, search.scale(w, base + from, base + to, from, weights));
                if (Float.isInfinite(s)) {
                    throw new IllegalArgumentException(tensorName + ": row " + r + " group " + gi
                            + " has weights beyond the f16 range of its scale");
                }
                for (int c = from; c < to; c++) {
                    rowCodes[c] = search.code(w[base + c], s);
                }
            }
            codes.setRow(r, rowCodes);
        });
        return new LookupMatrix(tensorName, resolved, codes, g, scales, null, table, true);
    }

    @Override
    public PackedMatrix read(String tensorName, int rows, int cols, FormatSpec spec, Map<String, MemorySegment> parts) {
        FormatSpec resolved = resolve(spec);
        int g = resolved.groupSize().getAsInt();
        String[] names = LookupMatrix.planeParts(bits);
        MemorySegment[] planes = new MemorySegment[names.length];
        for (int i = 0; i < names.length; i++) {
            planes[i] = parts.get(names[i]);
        }
        CodePlanes codes = CodePlanes.of(tensorName, rows, cols, LookupMatrix.planeWidths(bits), planes, names);
        GroupScales scales = GroupScales.read(tensorName, "scales", parts.get("scales"), rows, LookupMatrix.groups(cols, g));
        return new LookupMatrix(tensorName, resolved, codes, g, scales, null, table(tensorName, parts.get("table")), true);
    }

    /** The stored table, or the NormalFloat one where the file carries none. */
    private float[] table(String tensorName, MemorySegment part) {
        if (part == null) {
            return NormalFloatTable.of(bits);
        }
        int n = 1 << bits;
        if (part.byteSize() != 4L * n) {
            throw new IllegalArgumentException(tensorName + ": part 'table' has " + part.byteSize() + " bytes, expected "
                    + 4 * n + " (" + n + " f32 levels)");
        }
        float[] t = new float[n];
        for (int i = 0; i < n; i++) {
            t[i] = part.get(FLOAT_LE, 4L * i);
            if (!Float.isFinite(t[i])) {
                throw new IllegalArgumentException(tensorName + ": table level " + i + " is " + t[i]);
            }
        }
        return t;
    }
}
