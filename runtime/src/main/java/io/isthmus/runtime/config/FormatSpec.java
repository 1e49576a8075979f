package io.isthmus.runtime.config;

import java.math.BigDecimal;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A weight format spec string, {@code NAME[-gG][+sparse[P]]}: e.g. {@code bf16}, {@code q8_0},
 * {@code int4-g128}, {@code lut4+sparse0.45}. Only the grammar is checked here; whether NAME is a
 * known format, and which group sizes it takes, is the format registry's business.
 *
 * @param name          the format name, lower case ({@code int4}, {@code nf4}, {@code q8_0})
 * @param groupSize     G, when given
 * @param sparse        whether the {@code +sparse} suffix is present
 * @param sparsePercent P in percent (0, 100], when given; absent means the format's default
 */
public record FormatSpec(String name, OptionalInt groupSize, boolean sparse, OptionalDouble sparsePercent) {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*");
    private static final Pattern GRAMMAR =
            Pattern.compile("([a-z][a-z0-9_]*)(?:-g([0-9]+))?(\\+sparse([0-9]+(?:\\.[0-9]+)?)?)?");
    private static final String EXPECTED = "expected NAME[-gG][+sparse[P]], e.g. int4-g128 or lut4+sparse0.45";

    public FormatSpec {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("format name must be lower-case letters, digits and '_', got '" + name + "'");
        }
        if (groupSize.isPresent() && groupSize.getAsInt() <= 0) {
            throw new IllegalArgumentException("group size must be positive, got " + groupSize.getAsInt());
        }
        if (sparsePercent.isPresent()) {
            double p = sparsePercent.getAsDouble();
            if (!sparse) {
                throw new IllegalArgumentException("a sparse percent needs the +sparse suffix");
            }
            if (!(p > 0 && p <= 100)) {
                throw new IllegalArgumentException("sparse percent must be in (0, 100], got " + p);
            }
        }
    }

    /** Parses a spec string; the message of the exception says what is wrong with it. */
    public static FormatSpec parse(String spec) {
        Matcher m = GRAMMAR.matcher(spec);
        if (!m.matches()) {
            throw new IllegalArgumentException("bad format spec '" + spec + "': " + EXPECTED);
        }
        OptionalInt group = OptionalInt.empty();
        if (m.group(2) != null) {
            try {
                group = OptionalInt.of(Integer.parseInt(m.group(2)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad format spec '" + spec + "': group size " + m.group(2) + " is too large");
            }
        }
        OptionalDouble percent = m.group(4) == null ? OptionalDouble.empty()
                : OptionalDouble.of(Double.parseDouble(m.group(4)));
        try {
            return new FormatSpec(m.group(1), group, m.group(3) != null, percent);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad format spec '" + spec + "': " + e.getMessage(), e);
        }
    }

    /** The canonical spec string, which {@link #parse} reads back to an equal record. */
    public String spec() {
        StringBuilder s = new StringBuilder(name);
        groupSize.ifPresent(g -> s.append("-g").append(g));
        if (sparse) {
            s.append("+sparse");
            sparsePercent.ifPresent(p -> s.append(BigDecimal.valueOf(p).stripTrailingZeros().toPlainString()));
        }
        return s.toString();
    }

    @Override
    public String toString() {
        return spec();
    }
}
