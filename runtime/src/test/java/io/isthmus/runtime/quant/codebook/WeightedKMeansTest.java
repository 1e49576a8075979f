package io.isthmus.runtime.quant.codebook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.runtime.kernel.Reference;
import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.format.GgufFile;
import io.isthmus.runtime.kernel.Dequantize;
import io.isthmus.runtime.quant.Calibration;
import io.isthmus.runtime.quant.PackedMatrixChecks;
import io.isthmus.runtime.testing.SharedFiles;
import io.isthmus.runtime.tokenizer.Tokenizer;
import io.isthmus.runtime.tokenizer.TokenizerLoader;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WeightedKMeansTest {

    @Test
    void findsSeparatedClusters() {
        Random rnd = new Random(1);
        float[] centres = {-3, -1, 0.5f, 4};
        float[] v = new float[4000];
        for (int i = 0; i < v.length; i++) {
            v[i] = centres[i % 4] + (float) rnd.nextGaussian() * 0.05f;
        }
        float[] c = new WeightedKMeans(4).fit(v, null, v.length);
        for (int j = 0; j < 4; j++) {
            assertEquals(centres[j], c[j], 0.01, "centroid " + j);
        }
    }

    @Test
    void weightsPullCentroidsTowardHeavyValues() {
        // two values, one centroid: the weighted mean
        float[] c = new WeightedKMeans(1).fit(new float[] {0, 1}, new float[] {3, 1}, 2);
        assertEquals(0.25f, c[0], 1e-6);
        // all weights zero: unweighted
        c = new WeightedKMeans(1).fit(new float[] {0, 1}, new float[] {0, 0}, 2);
        assertEquals(0.5f, c[0], 1e-6);
    }

    @Test
    void weightedSearchLowersTheWeightedErrorOnSkewedSensitivities() {
        Random rnd = new Random(2);
        int n = 64, k = 256;
        float[] w = Reference.gaussian(rnd, n * k, 0.02);
        float[] s = new float[k];
        for (int c = 0; c < k; c++) {
            s[c] = (float) Math.exp(3 * rnd.nextGaussian()); // a few columns dominate, as with real activations
        }
        for (int bits : new int[] {3, 4}) {
            double[] e = weightedErrors("synthetic", w, n, k, s, bits);
            System.out.printf("synthetic %dx%d lut%d: sensitivity-weighted error %.4g weighted vs %.4g unweighted (%.1f%%)%n",
                    n, k, bits, e[0], e[1], 100 * e[0] / e[1]);
            assertTrue(e[0] < 0.8 * e[1], "lut" + bits + ": weighted " + e[0] + " vs unweighted " + e[1]);
        }
    }

    /**
     * A real matrix (prose-llama-35m's blk.0.attn_q) with real sensitivities: Σ x[c]² over its inputs
     * (the RMS-normed embeddings of a few thousand tokens of wikitext, scaled by attn_norm). Also
     * prints the error of the layer's actual output on those inputs, which the diagonal proxy stands for.
     */
    @Test
    void weightedSearchLowersTheWeightedErrorOnARealMatrix() throws IOException {
        Path model = SharedFiles.require("models/prose-llama-35m/prose-llama-35m-f16.gguf");
        Path text = SharedFiles.require("data/wikitext-2-raw/wiki.test.raw");
        try (GgufFile f = GgufFile.open(model)) {
            Tokenizer tok = TokenizerLoader.fromGguf(f);
            String sample = Files.readString(text);
            int[] ids = tok.encode(sample.substring(0, Math.min(sample.length(), 6_000)), true);
            float[] emb = Dequantize.all(f.tensor("token_embd.weight"));
            float[] norm = Dequantize.all(f.tensor("blk.0.attn_norm.weight"));
            String name = "blk.0.attn_q.weight";
            float[] w = Dequantize.all(f.tensor(name));
            int k = norm.length, n = w.length / k;
            float[] x = new float[ids.length * k];
            float[] s = new float[k];
            for (int t = 0; t < ids.length; t++) {
                double ss = 0;
                for (int c = 0; c < k; c++) {
                    ss += emb[ids[t] * k + c] * emb[ids[t] * k + c];
                }
                float inv = (float) (1 / Math.sqrt(ss / k + 1e-5));
                for (int c = 0; c < k; c++) {
                    float v = emb[ids[t] * k + c] * inv * norm[c];
                    x[t * k + c] = v;
                    s[c] += v * v;
                }
            }
            for (int bits : new int[] {3, 4}) {
                double[] e = weightedErrors(name, w, n, k, s, bits);
                double[] out = outputErrors(name, w, n, k, s, bits, x, ids.length);
                System.out.printf("%s (%dx%d, %d tokens) lut%d: sensitivity-weighted error %.4g weighted vs %.4g unweighted"
                                + " (%.1f%%); output error on the tokens %.4g vs %.4g (%.1f%%)%n", name, n, k, ids.length, bits,
                        e[0], e[1], 100 * e[0] / e[1], out[0], out[1], 100 * out[0] / out[1]);
                assertTrue(e[0] < e[1], "lut" + bits + ": weighted " + e[0] + " vs unweighted " + e[1]);
            }
        }
    }

    /** Σ_r Σ_c s[c]·(w − ŵ)² for lut{bits} found with the sensitivities and without, in that order. */
    private static double[] weightedErrors(String name, float[] w, int n, int k, float[] s, int bits) {
        double[] e = new double[2];
        for (int weighted = 0; weighted < 2; weighted++) {
            float[] q = quantize(name, w, n, k, weighted == 0 ? s : null, bits);
            for (int i = 0; i < n * k; i++) {
                e[weighted] += s[i % k] * Math.pow(w[i] - q[i], 2);
            }
        }
        return e;
    }

    /** Σ_t ‖x_t·(W − Ŵ)ᵀ‖² over the calibration inputs, weighted search first. */
    private static double[] outputErrors(String name, float[] w, int n, int k, float[] s, int bits, float[] x, int tokens) {
        double[] e = new double[2];
        for (int weighted = 0; weighted < 2; weighted++) {
            float[] q = quantize(name, w, n, k, weighted == 0 ? s : null, bits);
            for (int r = 0; r < n; r++) {
                for (int t = 0; t < tokens; t++) {
                    double d = 0;
                    for (int c = 0; c < k; c++) {
                        d += (w[r * k + c] - q[r * k + c]) * x[t * k + c];
                    }
                    e[weighted] += d * d;
                }
            }
        }
        return e;
    }

    private static float[] quantize(String name, float[] w, int n, int k, float[] s, int bits) {
        Calibration cal = s == null ? null : new Calibration() {
            @Override
            public float[] sensitivity(String tensorName) {
                return s;
            }

            @Override
            public float[] sampleInputs(String tensorName) {
                return null;
            }
        };
        try (Arena arena = Arena.ofConfined()) {
            LutFormat f = bits == 3 ? LutFormat.LUT3 : LutFormat.LUT4;
            return f.quantize(name, w, n, k, FormatSpec.parse(f.name()), cal, arena).dequantizeAll();
        }
    }
}
