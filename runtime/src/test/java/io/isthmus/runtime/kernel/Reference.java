package io.isthmus.runtime.kernel;

import io.isthmus.runtime.tensor.Tensor;

/** Double-precision references and error measures shared by the kernel tests. */
public final class Reference {

    private Reference() {
    }

    /** y[i][r] = Σ W[r][c]·x[i][c] in double, from the scalar dequantizer. */
    static double[] matmul(Tensor w, float[] x, int xOff, int m) {
        return matmul(TensorMatrix.of(w), x, xOff, m);
    }

    /** The same for any weight format, from {@link WeightMatrix#dequantizeRow}. */
    public static double[] matmul(WeightMatrix w, float[] x, int xOff, int m) {
        int k = w.cols(), n = w.rows();
        float[] row = new float[k];
        double[] y = new double[m * n];
        for (int r = 0; r < n; r++) {
            w.dequantizeRow(r, row, 0);
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int c = 0; c < k; c++) {
                    s += (double) row[c] * x[xOff + i * k + c];
                }
                y[i * n + r] = s;
            }
        }
        return y;
    }

    /** ‖got − want‖ / ‖want‖ over the entries {@code (i, r)} with r in [rowFrom, rowTo). */
    public static double relativeError(float[] got, int gotOff, double[] want, int m, int n, int rowFrom, int rowTo) {
        double num = 0, den = 0;
        for (int i = 0; i < m; i++) {
            for (int r = rowFrom; r < rowTo; r++) {
                double d = got[gotOff + i * n + r] - want[i * n + r];
                num += d * d;
                den += want[i * n + r] * want[i * n + r];
            }
        }
        return Math.sqrt(num / Math.max(den, 1e-300));
    }

    static double relativeError(float[] got, double[] want) {
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            double d = got[i] - want[i];
            num += d * d;
            den += want[i] * want[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-300));
    }

    public static float[] gaussian(java.util.Random rnd, int size, double sigma) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (rnd.nextGaussian() * sigma);
        }
        return a;
    }
}
