package io.isthmus.runtime.generate;

/**
 * Partial selection of the best token ids without sorting the whole vocabulary: a bounded heap of
 * size k, O(n log k). "Best" means a higher key; equal keys prefer the lower id, so the result is
 * deterministic.
 */
final class TopSelection {

    private TopSelection() {
    }

    /**
     * Writes the best {@code min(k, count)} of {@code ids[0..count)} into {@code out}, best first,
     * and returns how many it wrote. {@code out} must not be {@code ids}.
     */
    static int select(float[] key, int[] ids, int count, int k, int[] out) {
        int size = 0;
        // out[0..size) is a heap whose root is the worst id kept so far.
        for (int i = 0; i < count; i++) {
            int id = ids[i];
            if (size < k) {
                out[size] = id;
                siftUp(key, out, size);
                size++;
            } else if (worse(key, out[0], id)) {
                out[0] = id;
                siftDown(key, out, 0, size);
            }
        }
        // Heap sort: moving the root (worst) to the end each time leaves the best at index 0.
        for (int end = size - 1; end > 0; end--) {
            int worst = out[0];
            out[0] = out[end];
            out[end] = worst;
            siftDown(key, out, 0, end);
        }
        return size;
    }

    private static boolean worse(float[] key, int a, int b) {
        return key[a] < key[b] || (key[a] == key[b] && a > b);
    }

    private static void siftUp(float[] key, int[] heap, int i) {
        int id = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!worse(key, id, heap[parent])) {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = id;
    }

    private static void siftDown(float[] key, int[] heap, int i, int size) {
        int id = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && worse(key, heap[child + 1], heap[child])) {
                child++;
            }
            if (!worse(key, heap[child], id)) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = id;
    }
}
