package io.isthmus.runtime.quant;

import io.isthmus.runtime.config.ConfigException;
import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.tensor.GgmlType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a format spec converts weight matrices to: a GGUF type that Isthmus can write (round to
 * nearest, as llama.cpp), or a packed family of {@link PackedFormats} with its defaults filled in.
 */
public sealed interface FormatTarget {

    /** The spec as resolved (a packed family's group size and sparse percent filled in). */
    FormatSpec spec();

    /** A GGUF type: {@code f32}, {@code f16}, {@code bf16}, {@code q8_0}, {@code q4_0}. */
    record Gguf(FormatSpec spec, GgmlType type) implements FormatTarget {
    }

    /** A packed family. */
    record Packed(FormatSpec spec, PackedFormat family) implements FormatTarget {
    }

    /** GGUF types matrices can be converted to, by spec name. */
    SortedMap<String, GgmlType> GGUF_TYPES = Collections.unmodifiableSortedMap(new TreeMap<>(Map.of(
            "f32", GgmlType.F32, "f16", GgmlType.F16, "bf16", GgmlType.BF16,
            "q8_0", GgmlType.Q8_0, "q4_0", GgmlType.Q4_0)));

    /**
     * The target of {@code spec}, or a {@link ConfigException} saying why not: an unknown name (the
     * message lists every supported one), or a group size or sparse suffix the format does not take.
     */
    static FormatTarget of(FormatSpec spec) {
        GgmlType type = GGUF_TYPES.get(spec.name().toLowerCase(Locale.ROOT));
        if (type != null) {
            if (spec.groupSize().isPresent() || spec.sparse()) {
                throw new ConfigException("format '" + spec.spec() + "': " + spec.name()
                        + " is a GGUF type and takes no group size or +sparse suffix");
            }
            return new Gguf(spec, type);
        }
        PackedFormat family = PackedFormats.forSpec(spec);
        if (family == null) {
            throw new ConfigException("format '" + spec.spec() + "' is not supported by this build (supported: "
                    + String.join(", ", supportedNames()) + ")");
        }
        try {
            return new Packed(family.resolve(spec), family);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("format '" + spec.spec() + "': " + e.getMessage(), e);
        }
    }

    /** Every format name a spec may start with: the GGUF types, then the packed families. */
    static List<String> supportedNames() {
        List<String> names = new ArrayList<>(GGUF_TYPES.keySet());
        names.addAll(PackedFormats.names());
        return names;
    }
}
