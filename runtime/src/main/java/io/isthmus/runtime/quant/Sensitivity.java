package io.isthmus.runtime.quant;

/** Checked access to the calibration's per-column sensitivities of one tensor. */
public final class Sensitivity {

    private Sensitivity() {
    }

    /**
     * Σ x[c]² for each of the {@code cols} input columns of {@code tensorName}, or null when there is
     * no calibration or it did not observe the tensor; an error naming the tensor when the values do
     * not fit it (wrong length, negative or not finite).
     */
    public static float[] of(Calibration calibration, String tensorName, int cols) {
        float[] s = calibration == null ? null : calibration.sensitivity(tensorName);
        if (s == null) {
            return null;
        }
        if (s.length != cols) {
            throw new IllegalArgumentException("calibration of tensor '" + tensorName + "' has " + s.length
                    + " sensitivities for its " + cols + " input columns");
        }
        for (int c = 0; c < cols; c++) {
            if (!(s[c] >= 0) || Float.isInfinite(s[c])) {
                throw new IllegalArgumentException("calibration of tensor '" + tensorName + "' has sensitivity "
                        + s[c] + " at column " + c + " (must be finite and non-negative)");
            }
        }
        return s;
    }
}
