package io.isthmus.runtime.quant.codebook;

import java.util.BitSet;
import java.util.stream.IntStream;

/**
 * SqueezeLLM's search: each output row gets its own 2^b-entry codebook, the centroids of a k-means
 * of the row's values weighted by the sensitivity of their input columns (unweighted without
 * calibration), and each value the code of its nearest centroid. Positions in {@code excluded}
 * (outliers stored exactly elsewhere) take no part in the clustering and get the code of the
 * centroid nearest zero. Rows are independent and run in parallel.
 */
final class LutQuantizer {

    /** Codes packed row after row, and each row's table. */
    record Result(byte[] codes, float[] tables) {
    }

    private LutQuantizer() {
    }

    static Result quantize(String tensorName, float[] w, int rows, int cols, CodePacking packing,
                           float[] sensitivity, BitSet excluded) {
        if ((long) rows * cols > w.length) {
            throw new IllegalArgumentException("tensor '" + tensorName + "': " + rows + " x " + cols
                    + " needs " + (long) rows * cols + " values, got " + w.length);
        }
        int rowBytes = Math.toIntExact(packing.rowBytes(cols));
        int levels = packing.levels();
        byte[] codes = new byte[Math.multiplyExact(rowBytes, rows)];
        float[] tables = new float[Math.multiplyExact(levels, rows)];
        ThreadLocal<RowWork> work = ThreadLocal.withInitial(() -> new RowWork(cols, levels));
        IntStream.range(0, rows).parallel().forEach(r -> {
            RowWork s = work.get();
            int n = 0;
            for (int c = 0; c < cols; c++) {
                float v = w[r * cols + c];
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("tensor '" + tensorName + "' has " + v + " at row " + r + ", column " + c);
                }
                if (excluded == null || !excluded.get(r * cols + c)) {
                    s.values[n] = v;
                    s.weights[n] = sensitivity == null ? 1 : sensitivity[c];
                    n++;
                }
            }
            float[] table = s.kMeans.fit(s.values, sensitivity == null ? null : s.weights, n);
            System.arraycopy(table, 0, tables, r * levels, levels);
            int zero = nearestZero(table);
            for (int c = 0; c < cols; c++) {
                boolean out = excluded != null && excluded.get(r * cols + c);
                s.codes[c] = (byte) (out ? zero : nearest(table, w[r * cols + c]));
            }
            packing.pack(s.codes, cols, codes, r * rowBytes);
        });
        return new Result(codes, tables);
    }

    /** The index of the entry of the ascending {@code table} nearest {@code v}. */
    static int nearest(float[] table, float v) {
        int lo = 0, hi = table.length - 1; // the answer lies in [lo, hi]
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (v - table[mid] > table[mid + 1] - v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    static int nearestZero(float[] table) {
        int best = 0;
        for (int j = 1; j < table.length; j++) {
            if (Math.abs(table[j]) < Math.abs(table[best])) {
                best = j;
            }
        }
        return best;
    }

    /** Per-thread buffers. */
    private static final class RowWork {
        final float[] values;
        final float[] weights;
        final byte[] codes;
        final WeightedKMeans kMeans;

        RowWork(int cols, int levels) {
            values = new float[cols];
            weights = new float[cols];
            codes = new byte[cols];
            kMeans = new WeightedKMeans(levels);
        }
    }
}
