package io.isthmus.runtime.model;

import io.isthmus.runtime.format.ModelFormatException;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.Dequantize;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.onednn.OneDnnMatrices;
import io.isthmus.runtime.tensor.Tensor;

/**
 * Resolves canonical tensor names into typed layer weights, checking shapes and kernel support.
 * Shapes are those of one rank's part ({@link LocalDims}); the embedding is always whole.
 * Projections get oneDNN's prefill path where their format has one ({@link OneDnnMatrices}).
 */
final class WeightBinder {
    private final ModelWeights w;
    private final ModelConfig c;
    private final LocalDims d;
    private final InputObserver observer;
    private final ComputePool pool;
    private boolean usesOneDnn;

    WeightBinder(ModelWeights w, LocalDims d, InputObserver observer, ComputePool pool) {
        this.w = w;
        this.c = w.config();
        this.d = d;
        this.observer = observer;
        this.pool = pool;
    }

    WeightMatrix embedding() {
        WeightMatrix t = w.matrix("token_embd.weight");
        expect(t, c.vocabSize(), c.dim());
        return t;
    }

    Projection output() {
        return linear(w.has("output.weight") ? "output" : "token_embd", d.vocabRows(), c.dim(), false);
    }

    Norm norm(String name) {
        Tensor weight = w.tensor(name + ".weight");
        expect(weight, 1, c.dim());
        Tensor bias = w.optional(name + ".bias");
        return new Norm(Dequantize.all(weight), bias == null ? null : Dequantize.all(bias), c.normEps());
    }

    LayerWeights layer(int l) {
        String p = "blk." + l + ".";
        int qDim = d.qDim(c);
        int kvDim = d.kvDim(c);
        int ffn = d.ffnDim();
        int qkvRows = qDim + 2 * kvDim;
        boolean fused = c.qkvLayout() != QkvLayout.SEPARATE;
        boolean swiglu = c.activation() == Activation.SWIGLU;
        return new LayerWeights(
                norm(p + "attn_norm"),
                fused ? null : linear(p + "attn_q", qDim, c.dim(), true),
                fused ? null : linear(p + "attn_k", kvDim, c.dim(), true),
                fused ? null : linear(p + "attn_v", kvDim, c.dim(), true),
                fused ? linear(p + "attn_qkv", qkvRows, c.dim(), true) : null,
                linear(p + "attn_output", c.dim(), qDim, true),
                norm(p + "ffn_norm"),
                swiglu ? linear(p + "ffn_gate", ffn, c.dim(), true) : null,
                linear(p + "ffn_up", ffn, c.dim(), true),
                linear(p + "ffn_down", c.dim(), ffn, true));
    }

    private Projection linear(String name, int rows, int cols, boolean mayHaveBias) {
        WeightMatrix t = w.matrix(name + ".weight");
        expect(t, rows, cols);
        Tensor bias = mayHaveBias ? w.optional(name + ".bias") : null;
        if (bias != null) {
            expect(bias, 1, rows);
        }
        WeightMatrix bound = OneDnnMatrices.forPrefill(t, pool);
        usesOneDnn |= bound != t;
        return new Projection(bound, bias == null ? null : Dequantize.all(bias), observer);
    }

    /** Whether some projection bound so far multiplies prompt chunks through oneDNN. */
    boolean usesOneDnn() {
        return usesOneDnn;
    }

    private void expect(Tensor t, int rows, int cols) {
        expect(t.name(), t.rows(), t.cols(), rows, cols);
    }

    private void expect(WeightMatrix t, int rows, int cols) {
        expect(t.name(), t.rows(), t.cols(), rows, cols);
    }

    private void expect(String name, int actualRows, int actualCols, int rows, int cols) {
        if (actualRows != rows || actualCols != cols) {
            throw new ModelFormatException(w.source() + ": tensor '" + name + "' has " + actualRows + "×" + actualCols
                    + " elements (rows×cols), the model config expects " + rows + "×" + cols);
        }
    }
}
