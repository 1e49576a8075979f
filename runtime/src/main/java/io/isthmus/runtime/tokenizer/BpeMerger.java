package io.isthmus.runtime.tokenizer;

import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * Greedy BPE merging shared by both tokenizers: start from the code points of a string, repeatedly merge
 * the adjacent pair with the highest priority (the leftmost on ties) until no pair may merge. A priority
 * queue of candidate pairs keeps this O(n log n); stale candidates are recognised and skipped when popped.
 */
final class BpeMerger {
    private BpeMerger() {
    }

    /** Priority of merging {@code text[start, mid)} with {@code text[mid, end)}, higher first; NaN when it may not merge. */
    @FunctionalInterface
    interface PairPriority {
        double of(String text, int start, int mid, int end);
    }

    private record Candidate(double priority, int left, int right, int length) {
    }

    private static final Comparator<Candidate> BEST_FIRST =
            Comparator.comparingDouble(Candidate::priority).reversed().thenComparingInt(Candidate::left);

    /** Symbol boundaries after merging: symbol k is {@code text[b[k], b[k + 1])}. */
    static int[] merge(String text, PairPriority priority) {
        int n = text.codePointCount(0, text.length());
        // Symbol i covers text[start[i], end[i]); end[i] == -1 once merged into its left neighbour.
        int[] start = new int[n];
        int[] end = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, pos = 0; i < n; i++) {
            start[i] = pos;
            pos += Character.charCount(text.codePointAt(pos));
            end[i] = pos;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Candidate> queue = new PriorityQueue<>(Math.max(n, 1), BEST_FIRST);
        for (int i = 0; i + 1 < n; i++) {
            offer(queue, text, priority, start, end, i, i + 1);
        }
        while (!queue.isEmpty()) {
            Candidate c = queue.poll();
            int l = c.left;
            int r = c.right;
            // Symbols only grow, so an unchanged total length means the pair is still the one scored.
            if (end[l] < 0 || end[r] < 0 || next[l] != r || end[r] - start[l] != c.length) {
                continue;
            }
            end[l] = end[r];
            end[r] = -1;
            next[l] = next[r];
            if (next[r] >= 0) {
                prev[next[r]] = l;
            }
            if (prev[l] >= 0) {
                offer(queue, text, priority, start, end, prev[l], l);
            }
            if (next[l] >= 0) {
                offer(queue, text, priority, start, end, l, next[l]);
            }
        }
        IntSink bounds = new IntSink(n + 1);
        for (int i = n > 0 ? 0 : -1; i >= 0; i = next[i]) {
            bounds.add(start[i]);
        }
        bounds.add(text.length());
        return bounds.toArray();
    }

    private static void offer(PriorityQueue<Candidate> queue, String text, PairPriority priority,
                              int[] start, int[] end, int l, int r) {
        double p = priority.of(text, start[l], start[r], end[r]);
        if (!Double.isNaN(p)) {
            queue.add(new Candidate(p, l, r, end[r] - start[l]));
        }
    }
}
