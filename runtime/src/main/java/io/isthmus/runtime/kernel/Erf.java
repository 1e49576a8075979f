package io.isthmus.runtime.kernel;

/**
 * The error function in double precision (close to 1e-15 relative), for exact GELU. Near zero
 * the Maclaurin series (its terms still small enough at |x| < 2 to lose no digits to
 * cancellation); beyond, erfc by its continued fraction, which converges quickly there.
 */
public final class Erf {

    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;

    private Erf() {
    }

    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        if (a < 2) {
            return series(x);
        }
        if (a > 6) { // erfc(6) ≈ 2e-17
            return Math.copySign(1, x);
        }
        return Math.copySign(1 - erfcContinuedFraction(a), x);
    }

    /** erf(x) = 2/√π · Σ (−1)ⁿ x^(2n+1) / (n! (2n+1)). */
    private static double series(double x) {
        double x2 = x * x;
        double term = x; // (−1)ⁿ x^(2n+1) / n!
        double sum = x;
        for (int n = 1; n < 60; n++) {
            term *= -x2 / n;
            double t = term / (2 * n + 1);
            sum += t;
            if (Math.abs(t) < 1e-17 * Math.abs(sum)) {
                break;
            }
        }
        return TWO_OVER_SQRT_PI * sum;
    }

    /**
     * erfc(x) for x ≥ 2: e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))),
     * evaluated with the modified Lentz method.
     */
    private static double erfcContinuedFraction(double x) {
        final double tiny = 1e-300;
        double f = x; // b0
        double c = f;
        double d = 0;
        for (int n = 1; n < 500; n++) {
            double an = n / 2.0;
            d = x + an * d;
            d = d == 0 ? tiny : d;
            c = x + an / c;
            c = c == 0 ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) {
                break;
            }
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }
}
