package io.isthmus.runtime.quant;

import io.isthmus.numa.CpuSet;
import io.isthmus.runtime.format.ModelLoader;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.tokenizer.Tokenizer;
import io.isthmus.runtime.tokenizer.TokenizerSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Calibration statistics: Σx² per input column and a bounded sample of rows, for every matrix of a real forward pass. */
class InputStatisticsTest {
    static final Path MODEL = Path.of("../examples/models/stories260K.gguf").toAbsolutePath().normalize();

    @Test
    void sumsOfSquaresAndAReservoirSample() {
        InputStatistics s = new InputStatistics(2);
        s.observe("w", new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        s.observe("w", new float[] {-1, 0}, 1, 2);
        assertArrayEquals(new float[] {1 + 9 + 25 + 1, 4 + 16 + 36}, s.sensitivity("w"));
        assertEquals(4, s.rows("w"));
        float[] sample = s.sampleInputs("w");
        assertEquals(4, sample.length, "two rows kept");
        assertNull(s.sensitivity("other"));
        assertNull(s.sampleInputs("other"));
        assertThrows(IllegalArgumentException.class, () -> s.observe("w", new float[3], 1, 3));
    }

    @Test
    void aForwardPassReachesEveryMatrixAndTheFirstInputsAreTheNormedEmbeddings() {
        try (ModelWeights m = ModelLoader.load(MODEL); ComputePool pool = new ComputePool(CpuSet.of(0), false)) {
            Tokenizer tok = TokenizerSource.ofFile(MODEL).load(m.config().vocabSize());
            String text = "Once upon a time, there was a little girl named Lily. She loved to play outside.";
            InputStatistics s = CalibrationRun.collect(m, tok, text, 1000, 8, 4, pool, (d, t) -> { });
            int[] ids = tok.encode(text, true);
            assertEquals(ids.length, s.tokens());
            for (String name : m.tensors().keySet()) {
                if (name.startsWith("blk.") && name.endsWith(".weight") && !name.contains("norm")) {
                    assertEquals(ids.length, s.rows(name), name);
                }
            }
            // blk.0.attn_q's input is rmsnorm(embedding) · attn_norm, window by window with BOS first
            int dim = m.config().dim();
            float[] norm = m.matrix("blk.0.attn_norm.weight").dequantizeAll();
            double[] want = new double[dim];
            float[] row = new float[dim];
            for (int i = 0; i < ids.length; i++) {
                int id = i % 8 == 0 ? tok.bosId() : ids[i];
                m.matrix("token_embd.weight").dequantizeRow(id, row, 0);
                double ss = 0;
                for (float v : row) {
                    ss += v * v;
                }
                double scale = 1 / Math.sqrt(ss / dim + m.config().normEps());
                for (int c = 0; c < dim; c++) {
                    double x = row[c] * scale * norm[c];
                    want[c] += x * x;
                }
            }
            float[] got = s.sensitivity("blk.0.attn_q.weight");
            for (int c = 0; c < dim; c++) {
                assertEquals(want[c], got[c], 1e-3 * Math.max(1, want[c]), "column " + c);
            }
            assertArrayEquals(got, s.sensitivity("blk.0.attn_k.weight"), "q, k and v read the same input");
            assertEquals(4 * dim, s.sampleInputs("blk.0.attn_q.weight").length);
        }
    }
}
