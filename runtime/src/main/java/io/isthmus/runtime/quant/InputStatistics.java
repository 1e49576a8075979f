package io.isthmus.runtime.quant;

import io.isthmus.runtime.model.InputObserver;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * {@link Calibration} collected by watching a forward pass ({@link InputObserver}): for every weight
 * matrix, the diagonal of XᵀX over all its input rows (summed in double) and a uniform sample of up
 * to {@code sampleRows} input rows (reservoir sampling with a fixed seed, so runs repeat exactly).
 * Not thread-safe: the forward pass calls it from one thread.
 */
public final class InputStatistics implements Calibration, InputObserver {
    private final int sampleRows;
    private final Random random = new Random(0x15A7);
    private final Map<String, Matrix> byWeight = new HashMap<>();
    /** Calibration tokens run (set by {@link CalibrationRun}). */
    long tokens;

    private static final class Matrix {
        final int cols;
        final double[] sumOfSquares;
        final float[] sample;
        long rowsSeen;

        Matrix(int cols, int sampleRows) {
            this.cols = cols;
            this.sumOfSquares = new double[cols];
            this.sample = new float[Math.multiplyExact(sampleRows, cols)];
        }
    }

    public InputStatistics(int sampleRows) {
        if (sampleRows < 0) {
            throw new IllegalArgumentException("sample rows must be >= 0, got " + sampleRows);
        }
        this.sampleRows = sampleRows;
    }

    @Override
    public void observe(String weight, float[] x, int m, int cols) {
        Matrix s = byWeight.computeIfAbsent(weight, k -> new Matrix(cols, sampleRows));
        if (s.cols != cols) {
            throw new IllegalArgumentException("inputs of '" + weight + "' have " + cols + " columns, earlier " + s.cols);
        }
        for (int i = 0; i < m; i++) {
            int off = i * cols;
            for (int c = 0; c < cols; c++) {
                double v = x[off + c];
                s.sumOfSquares[c] += v * v;
            }
            long seen = s.rowsSeen++;
            long slot = seen < sampleRows ? seen : random.nextLong(seen + 1);
            if (slot < sampleRows) {
                System.arraycopy(x, off, s.sample, (int) slot * cols, cols);
            }
        }
    }

    /** Calibration tokens the statistics come from. */
    public long tokens() {
        return tokens;
    }

    /** Input rows seen for {@code weight} (0 when it was never used). */
    public long rows(String weight) {
        Matrix s = byWeight.get(weight);
        return s == null ? 0 : s.rowsSeen;
    }

    @Override
    public float[] sensitivity(String tensorName) {
        Matrix s = byWeight.get(tensorName);
        if (s == null) {
            return null;
        }
        float[] out = new float[s.cols];
        for (int c = 0; c < s.cols; c++) {
            out[c] = (float) s.sumOfSquares[c];
        }
        return out;
    }

    @Override
    public float[] sampleInputs(String tensorName) {
        Matrix s = byWeight.get(tensorName);
        if (s == null || s.rowsSeen == 0 || sampleRows == 0) {
            return null;
        }
        return Arrays.copyOf(s.sample, (int) Math.min(s.rowsSeen, sampleRows) * s.cols);
    }
}
