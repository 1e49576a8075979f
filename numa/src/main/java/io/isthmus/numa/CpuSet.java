package io.isthmus.numa;

import java.util.BitSet;
import java.util.Objects;
import java.util.stream.IntStream;

/** An immutable set of logical CPU numbers (as the Linux kernel numbers them). */
public final class CpuSet {

    private final BitSet bits;

    private CpuSet(BitSet bits) {
        this.bits = bits;
    }

    /** The set holding exactly {@code cpus}. */
    public static CpuSet of(int... cpus) {
        BitSet b = new BitSet();
        for (int c : cpus) {
            if (c < 0) {
                throw new IllegalArgumentException("negative CPU number " + c);
            }
            b.set(c);
        }
        return new CpuSet(b);
    }

    /** The set of CPUs set in {@code bits} (copied). */
    public static CpuSet of(BitSet bits) {
        return new CpuSet((BitSet) bits.clone());
    }

    /** CPUs {@code from..to}, both inclusive. */
    public static CpuSet range(int from, int to) {
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("bad CPU range " + from + "-" + to);
        }
        BitSet b = new BitSet();
        b.set(from, to + 1);
        return new CpuSet(b);
    }

    /** Parses a Linux core list such as {@code 0-27,56-83}; see {@link CoreList#parse}. */
    public static CpuSet parse(String coreList) {
        return CoreList.parse(coreList);
    }

    public boolean contains(int cpu) {
        return cpu >= 0 && bits.get(cpu);
    }

    public int size() {
        return bits.cardinality();
    }

    public boolean isEmpty() {
        return bits.isEmpty();
    }

    /** The highest CPU number in the set, or -1 when empty. */
    public int max() {
        return bits.length() - 1;
    }

    /** The CPUs in increasing order. */
    public int[] toArray() {
        return bits.stream().toArray();
    }

    public IntStream stream() {
        return bits.stream();
    }

    /** A copy of the underlying bits. */
    public BitSet toBitSet() {
        return (BitSet) bits.clone();
    }

    public CpuSet union(CpuSet other) {
        BitSet b = toBitSet();
        b.or(other.bits);
        return new CpuSet(b);
    }

    public CpuSet intersection(CpuSet other) {
        BitSet b = toBitSet();
        b.and(other.bits);
        return new CpuSet(b);
    }

    /** The CPUs of this set that are not in {@code other}. */
    public CpuSet minus(CpuSet other) {
        BitSet b = toBitSet();
        b.andNot(other.bits);
        return new CpuSet(b);
    }

    /** Whether every CPU of this set is in {@code other}. */
    public boolean isSubsetOf(CpuSet other) {
        return minus(other).isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CpuSet c && bits.equals(c.bits);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(bits);
    }

    /** The core-list form, e.g. {@code 0-3,8}. */
    @Override
    public String toString() {
        return CoreList.format(this);
    }
}
