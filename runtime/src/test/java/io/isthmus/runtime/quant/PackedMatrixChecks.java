package io.isthmus.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.runtime.kernel.Reference;
import io.isthmus.runtime.kernel.RowProduct;
import io.isthmus.runtime.kernel.WeightMatrix;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;

/**
 * Checks every packed format's matrices must pass: the kernel equals dequantize-then-multiply (in
 * double) within 1e-5 relative for small m and row ranges, writes nothing outside its rows, and
 * row and column slices (AutoTP) and the parts round trip give the same values.
 */
public final class PackedMatrixChecks {

    public static final double TOLERANCE = 1e-5;
    public static final int[] MS = {1, 2, 3, 4, 5, 8, 9, 10, 11};

    private PackedMatrixChecks() {
    }

    /** The kernel against the scalar reference for every m of {@link #MS}, on all rows and on a row range. */
    public static void kernelMatchesReference(WeightMatrix w, Random rnd) {
        int n = w.rows();
        for (int m : MS) {
            check(w, m, 0, n, rnd, w.format());
            check(w, m, Math.min(2, n - 1), Math.max(Math.min(2, n - 1), n - 1), rnd, w.format());
        }
    }

    /**
     * The kernel on rows [rowFrom, rowTo) against the double reference ({@link #TOLERANCE}); nothing
     * else of y is written; and the same holds for one {@link WeightMatrix#product} taken in two
     * ranges, the second first (as a pool's threads may). {@code what} names the case in failures.
     */
    public static void check(WeightMatrix w, int m, int rowFrom, int rowTo, Random rnd, String what) {
        int k = w.cols(), n = w.rows();
        int xOff = 3, yOff = 5;
        float[] x = Reference.gaussian(rnd, xOff + m * k, 1);
        float[] y = new float[yOff + m * n + 2];
        Arrays.fill(y, Float.NaN);
        w.matmul(x, xOff, m, y, yOff, rowFrom, rowTo);
        double err = Reference.relativeError(y, yOff, Reference.matmul(w, x, xOff, m), m, n, rowFrom, rowTo);
        String where = what + " " + n + " x " + k + " m=" + m + " rows " + rowFrom + ".." + rowTo;
        assertTrue(err < TOLERANCE, where + ": relative error " + err);
        for (int i = 0; i < y.length; i++) {
            int rel = i - yOff, r = rel % n;
            boolean inside = rel >= 0 && rel < m * n && r >= rowFrom && r < rowTo;
            if (!inside) {
                assertTrue(Float.isNaN(y[i]), where + ": wrote y[" + i + "]");
            }
        }
        float[] byRanges = new float[y.length];
        Arrays.fill(byRanges, Float.NaN);
        RowProduct product = w.product(x, xOff, m, byRanges, yOff);
        int mid = Math.min(rowTo, (rowFrom + (rowTo - rowFrom) / 2 + 3) / 4 * 4); // where a four-row group may start
        product.rows(mid, rowTo);
        product.rows(rowFrom, mid);
        for (int i = 0; i < y.length; i++) { // the same entries written (the JIT may round a last bit otherwise)
            assertEquals(Float.isNaN(y[i]), Float.isNaN(byRanges[i]), where + ": product by ranges, y[" + i + "]");
        }
        double rangesErr = Reference.relativeError(byRanges, yOff, Reference.matmul(w, x, xOff, m), m, n, rowFrom, rowTo);
        assertTrue(rangesErr < TOLERANCE, where + ": product by ranges: relative error " + rangesErr);
    }

    /**
     * Every row of {@code w} from {@link WeightMatrix#dequantizeRow} and from {@link WeightMatrix#decodeRow}
     * equals the same row of {@code reference}, written at an offset; {@code what} names the case.
     */
    public static void rowsMatch(WeightMatrix reference, WeightMatrix w, String what) {
        int k = w.cols();
        float[] want = new float[k + 3], scalar = new float[k + 3], vector = new float[k + 3];
        for (int r = 0; r < w.rows(); r++) {
            reference.dequantizeRow(r, want, 3);
            w.dequantizeRow(r, scalar, 3);
            w.decodeRow(r, vector, 3);
            assertArrayEquals(want, scalar, what + " row " + r + ", dequantized");
            assertArrayEquals(want, vector, what + " row " + r + ", decoded");
        }
    }

    /**
     * Row slices and column slices (at the format's grain, one of them ending at the last column)
     * hold the whole matrix's values, and their kernels match their references.
     */
    public static void slicesMatch(WeightMatrix w, Arena arena, Random rnd) {
        float[] all = w.dequantizeAll();
        int n = w.rows(), k = w.cols(), grain = w.columnGrain();
        int rowFrom = n / 3, rowCount = Math.max(1, n / 2);
        WeightMatrix rows = w.sliceRows(rowFrom, rowCount);
        assertEquals(w.format(), rows.format());
        assertArrayEquals(Arrays.copyOfRange(all, rowFrom * k, (rowFrom + rowCount) * k), rows.dequantizeAll(),
                w.format() + ": rows " + rowFrom + " + " + rowCount);
        kernelMatchesReference(rows, rnd);
        int cut = Math.max(grain, k / 2 / grain * grain);
        if (cut >= k) {
            return;
        }
        for (int[] range : new int[][] {{0, cut}, {cut, k - cut}}) {
            WeightMatrix cols = w.sliceColumns(range[0], range[1], arena);
            float[] want = new float[n * range[1]];
            for (int r = 0; r < n; r++) {
                System.arraycopy(all, r * k + range[0], want, r * range[1], range[1]);
            }
            assertArrayEquals(want, cols.dequantizeAll(), w.format() + ": columns " + range[0] + " + " + range[1]);
            kernelMatchesReference(cols, rnd);
            // a row slice of a column slice, as a rank of a 2-D split would see
            WeightMatrix both = cols.sliceRows(rowFrom, rowCount);
            assertArrayEquals(Arrays.copyOfRange(want, rowFrom * range[1], (rowFrom + rowCount) * range[1]),
                    both.dequantizeAll());
        }
    }

    /** {@link PackedMatrix#parts()} read back through the registry give the same matrix. */
    public static PackedMatrix roundTrip(PackedMatrix w) {
        return roundTrip(PackedFormats.forSpec(w.spec()), w);
    }

    /** {@link PackedMatrix#parts()} read back through {@code f} give the same matrix. */
    public static PackedMatrix roundTrip(PackedFormat f, PackedMatrix w) {
        PackedMatrix back = f.read(w.name(), w.rows(), w.cols(), w.spec(), w.parts());
        assertEquals(w.spec(), back.spec());
        assertEquals(w.byteSize(), back.byteSize());
        assertArrayEquals(w.dequantizeAll(), back.dequantizeAll(), w.format() + ": read back from its parts");
        return back;
    }
}
