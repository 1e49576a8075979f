package io.isthmus.runtime.tokenizer;

import java.util.Arrays;

/** A growable int array for collecting token ids. */
final class IntSink {
    private int[] values;
    private int size;

    IntSink(int capacity) {
        values = new int[Math.max(capacity, 8)];
    }

    void add(int v) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = v;
    }

    int[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
