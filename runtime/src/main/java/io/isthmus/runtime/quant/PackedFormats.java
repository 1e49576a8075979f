package io.isthmus.runtime.quant;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.quant.codebook.LutFormat;
import io.isthmus.runtime.quant.sparse.SparseFormat;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The packed format families this build knows, by spec NAME. */
public final class PackedFormats {

    private static final Map<String, PackedFormat> BY_NAME = index(List.of(
            // one entry per family
            LutFormat.LUT4,
            LutFormat.LUT3
    ));

    private PackedFormats() {
    }

    private static Map<String, PackedFormat> index(List<PackedFormat> formats) {
        Map<String, PackedFormat> m = new TreeMap<>();
        for (PackedFormat f : formats) {
            m.put(f.name(), f);
        }
        return m;
    }

    /**
     * The family of {@code spec}, or null when NAME is not a packed format. A {@code +sparse} spec
     * gets the family wrapped in {@link SparseFormat}.
     */
    public static PackedFormat forSpec(FormatSpec spec) {
        PackedFormat f = BY_NAME.get(spec.name().toLowerCase(Locale.ROOT));
        return f != null && spec.sparse() ? new SparseFormat(f) : f;
    }

    /** Known family names, sorted. */
    public static java.util.Set<String> names() {
        return BY_NAME.keySet();
    }
}
