package io.isthmus.runtime.quant.normalfloat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.quant.Calibration;
import io.isthmus.runtime.quant.PackedMatrix;
import io.isthmus.runtime.quant.lookup.LookupMatrix;
import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The NormalFloat tables, and the calibrated scale search against plain absmax. */
class NormalFloatTest {

    @Test
    void theConstructionReproducesQLoRAsNf4() {
        float[] built = NormalFloatTable.build(4);
        for (int i = 0; i < 16; i++) {
            assertEquals(NormalFloatTable.NF4[i], built[i], 2e-7, "level " + i);
        }
    }

    @Test
    void nf3HasEightLevelsWithZeroAndEnds() {
        float[] t = NormalFloatTable.of(3);
        assertEquals(8, t.length);
        assertEquals(-1f, t[0]);
        assertEquals(0f, t[3]); // three negative levels, zero, four positive
        assertEquals(1f, t[7]);
        for (int i = 1; i < 8; i++) {
            assertTrue(t[i] > t[i - 1], "ascending at " + i);
        }
        // Φ⁻¹ of the construction's quantiles, by hand: δ = ½(13/14 + 15/16)
        double offset = 0.5 * (13.0 / 14 + 15.0 / 16);
        double top = NormalFloatTable.inverseNormal(offset);
        assertEquals(NormalFloatTable.inverseNormal(offset + (0.5 - offset) / 4) / top, t[6], 1e-6);
        assertEquals(-NormalFloatTable.inverseNormal(offset + (0.5 - offset) / 3) / top, t[1], 1e-6);
    }

    @Test
    void inverseNormalMatchesKnownQuantiles() {
        assertEquals(0, NormalFloatTable.inverseNormal(0.5), 1e-15);
        assertEquals(1.959963984540054, NormalFloatTable.inverseNormal(0.975), 1e-12);
        assertEquals(0.6744897501960817, NormalFloatTable.inverseNormal(0.75), 1e-12);
    }

    @Test
    void theCalibratedSearchLowersTheWeightedErrorAndIsOptional() {
        Random rnd = new Random(4);
        int rows = 32, cols = 512;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (rnd.nextGaussian() * 0.02 * (rnd.nextInt(50) == 0 ? 6 : 1)); // heavy-tailed
        }
        float[] sensitivity = new float[cols];
        for (int c = 0; c < cols; c++) {
            sensitivity[c] = (float) Math.exp(rnd.nextGaussian() * 1.5);
        }
        Calibration calibration = new Calibration() {
            @Override
            public float[] sensitivity(String tensorName) {
                return tensorName.equals("w") ? sensitivity : null;
            }

            @Override
            public float[] sampleInputs(String tensorName) {
                return null;
            }
        };
        FormatSpec spec = FormatSpec.parse("nf4-g64");
        try (Arena arena = Arena.ofConfined()) {
            PackedMatrix plain = NormalFloatFormat.NF4.quantize("w", w, rows, cols, spec, null, arena);
            PackedMatrix searched = NormalFloatFormat.NF4.quantize("w", w, rows, cols, spec, calibration, arena);
            double before = weightedError(w, plain.dequantizeAll(), sensitivity, cols);
            double after = weightedError(w, searched.dequantizeAll(), sensitivity, cols);
            System.out.printf("nf4-g64 sensitivity-weighted error: absmax %.4g, searched %.4g (%.1f%% lower)%n",
                    before, after, 100 * (1 - after / before));
            assertTrue(after < 0.9 * before, "searched " + after + " vs absmax " + before);
            // a tensor the calibration did not see falls back to an unweighted search: still no worse than absmax
            PackedMatrix other = NormalFloatFormat.NF4.quantize("unseen", w, rows, cols, spec, calibration, arena);
            float[] ones = new float[cols];
            java.util.Arrays.fill(ones, 1);
            assertTrue(weightedError(w, other.dequantizeAll(), ones, cols) <= weightedError(w, plain.dequantizeAll(), ones, cols));
            // the table part carries the levels
            assertArrayEquals(NormalFloatTable.NF4, ((LookupMatrix) searched).table());
        }
    }

    private static double weightedError(float[] w, float[] q, float[] sensitivity, int cols) {
        double e = 0;
        for (int i = 0; i < w.length; i++) {
            double d = w[i] - q[i];
            e += sensitivity[i % cols] * d * d;
        }
        return e;
    }
}
