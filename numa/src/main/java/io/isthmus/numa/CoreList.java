package io.isthmus.numa;

import java.util.BitSet;

/**
 * The Linux core-list text form ({@code cpuset(7)} "List format"), as used by sysfs, taskset -c
 * and numactl: comma-separated CPU numbers and inclusive ranges, e.g. {@code 0-27,56-83}. A range
 * may carry a stride ({@code 0-15:2}), as the kernel accepts. An empty string is the empty set.
 */
public final class CoreList {

    /** Largest CPU number accepted; guards against typos that would allocate huge bitsets. */
    public static final int MAX_CPU = 1 << 16;

    private CoreList() {
    }

    public static CpuSet parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("core list is null");
        }
        String s = text.strip();
        BitSet bits = new BitSet();
        if (s.isEmpty()) {
            return CpuSet.of(bits);
        }
        for (String part : s.split(",", -1)) {
            String p = part.strip();
            if (p.isEmpty()) {
                throw bad(text, part, "empty element");
            }
            int stride = 1;
            int colon = p.indexOf(':');
            if (colon >= 0) {
                stride = number(text, p, p.substring(colon + 1));
                if (stride == 0) {
                    throw bad(text, p, "stride 0");
                }
                p = p.substring(0, colon);
            }
            int dash = p.indexOf('-');
            if (dash < 0) {
                if (colon >= 0) {
                    throw bad(text, part, "stride without a range");
                }
                bits.set(number(text, part, p));
            } else {
                int from = number(text, part, p.substring(0, dash));
                int to = number(text, part, p.substring(dash + 1));
                if (to < from) {
                    throw bad(text, part, "range runs backwards");
                }
                for (int c = from; c <= to; c += stride) {
                    bits.set(c);
                }
            }
        }
        return CpuSet.of(bits);
    }

    /** Formats as ascending, maximal ranges: {@code {0,1,2,3,8}} gives {@code 0-3,8}. */
    public static String format(CpuSet set) {
        StringBuilder sb = new StringBuilder();
        int[] cpus = set.toArray();
        for (int i = 0; i < cpus.length; ) {
            int j = i;
            while (j + 1 < cpus.length && cpus[j + 1] == cpus[j] + 1) {
                j++;
            }
            if (!sb.isEmpty()) {
                sb.append(',');
            }
            sb.append(cpus[i]);
            if (j > i) {
                sb.append('-').append(cpus[j]);
            }
            i = j + 1;
        }
        return sb.toString();
    }

    private static int number(String text, String part, String digits) {
        String d = digits.strip();
        if (d.isEmpty() || !d.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            throw bad(text, part, "'" + digits + "' is not a CPU number");
        }
        if (d.length() > 6 || Integer.parseInt(d) > MAX_CPU) {
            throw bad(text, part, "CPU number " + d + " exceeds " + MAX_CPU);
        }
        return Integer.parseInt(d);
    }

    private static IllegalArgumentException bad(String text, String part, String why) {
        return new IllegalArgumentException(
                "bad core list '" + text + "': element '" + part.strip() + "': " + why);
    }
}
