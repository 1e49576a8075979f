package io.isthmus.runtime.quant;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.quant.codebook.LutFormat;
import io.isthmus.runtime.quant.fp6.Fp6Format;
import io.isthmus.runtime.quant.normalfloat.NormalFloatFormat;
import io.isthmus.runtime.quant.sparse.SparseFormat;
import io.isthmus.runtime.quant.uniform.Int4Format;
import io.isthmus.runtime.quant.uniform.Int8Format;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;

/**
 * The packed format families this build knows, by spec NAME: the list below, plus any
 * {@link PackedFormat} registered through {@link ServiceLoader} (a {@code META-INF/services} entry
 * on the class path; the tests register a small one this way). A name may be taken once.
 */
public final class PackedFormats {

    private static final Map<String, PackedFormat> BY_NAME = index(List.of(
            // one entry per family
            new Int8Format(), new Int4Format(),
            NormalFloatFormat.NF4, NormalFloatFormat.NF3,
            LutFormat.LUT4, LutFormat.LUT3,
            new Fp6Format()
    ));

    private PackedFormats() {
    }

    private static Map<String, PackedFormat> index(List<PackedFormat> formats) {
        Map<String, PackedFormat> m = new TreeMap<>();
        List<PackedFormat> all = new ArrayList<>(formats);
        ServiceLoader.load(PackedFormat.class, PackedFormats.class.getClassLoader()).forEach(all::add);
        for (PackedFormat f : all) {
            PackedFormat previous = m.put(f.name(), f);
            if (previous != null && previous.getClass() != f.getClass()) {
                throw new IllegalStateException("two packed formats are named '" + f.name() + "': "
                        + previous.getClass().getName() + " and " + f.getClass().getName());
            }
        }
        return Collections.unmodifiableMap(m);
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
    public static Set<String> names() {
        return BY_NAME.keySet();
    }
}
