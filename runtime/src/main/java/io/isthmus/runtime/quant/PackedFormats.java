package io.isthmus.runtime.quant;

import io.isthmus.runtime.config.FormatSpec;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The packed format families this build knows, by spec NAME. */
public final class PackedFormats {

    private static final Map<String, PackedFormat> BY_NAME = index(List.of(
            // one entry per family
            new io.isthmus.runtime.quant.uniform.Int8Format()
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

    /** The family of {@code spec}, or null when NAME is not a packed format. */
    public static PackedFormat forSpec(FormatSpec spec) {
        return BY_NAME.get(spec.name().toLowerCase(Locale.ROOT));
    }

    /** Known family names, sorted. */
    public static java.util.Set<String> names() {
        return BY_NAME.keySet();
    }
}
