package io.isthmus.runtime.onednn;

import com.fasterxml.jackson.databind.JsonNode;
import io.isthmus.runtime.api.Engine;
import io.isthmus.runtime.api.EngineOptions;
import io.isthmus.runtime.api.GenerationRequest;
import io.isthmus.runtime.api.GoldenGenerationTest;
import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.config.ModelSpec;
import io.isthmus.runtime.format.ModelLoader;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.Dequantize;
import io.isthmus.runtime.kernel.Quantize;
import io.isthmus.runtime.kernel.TensorMatrix;
import io.isthmus.runtime.model.KvCache;
import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.Transformer;
import io.isthmus.runtime.quant.WeightFormats;
import io.isthmus.runtime.quant.uniform.Int8Format;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import io.isthmus.runtime.testing.SharedFiles;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The oneDNN paths on prose-llama-35m's real weights (../shared/models): products, greedy generation, perplexity. */
class OneDnnRealModelTest {
    private static final String MODEL = "models/prose-llama-35m/prose-llama-35m-f16.gguf";

    /** A pool of two threads; the test is skipped unless oneDNN computes both bf16 and exact int8 here. */
    private static ComputePool pool() {
        ComputePool pool = new ComputePool(2);
        try {
            OneDnnAssumptions.bf16(pool);
            OneDnnAssumptions.exactInt8(pool);
        } catch (RuntimeException skipped) {
            pool.close();
            throw skipped;
        }
        return pool;
    }

    @Test
    void realWeightsMatchFloat64Reference() {
        Path model = SharedFiles.require(MODEL);
        try (ComputePool pool = pool(); ModelWeights w = ModelLoader.load(model); Arena arena = Arena.ofShared()) {
            Random r = new Random(9);
            for (String name : new String[] {"blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.2.ffn_gate.weight",
                    "blk.5.ffn_down.weight"}) {
                Tensor t = w.tensor(name);
                float[] values = Dequantize.all(t);
                int n = t.rows(), k = t.cols(), m = 48;
                float[] x = OneDnnMatmulTest.random(r, m * k, 1.0);
                var bf16 = OneDnnMatrices.wrap(TensorMatrix.of(Quantize.quantize(arena, name, GgmlType.BF16, values, 0, n, k)),
                        pool, 1).orElseThrow();
                var int8 = OneDnnMatrices.wrap(new Int8Format().quantize(name, values, n, k, FormatSpec.parse("int8"), null, arena),
                        pool, 1).orElseThrow();
                float[] y = new float[m * n];
                bf16.matmulOneDnn(pool, x, 0, m, y, 0);
                double eb = OneDnnMatmulTest.relativeError(x, values, m, n, k, y);
                int8.matmulOneDnn(pool, x, 0, m, y, 0);
                double ei = OneDnnMatmulTest.relativeError(x, values, m, n, k, y);
                assertTrue(eb <= 1e-2, name + " bf16: relative Frobenius error " + eb);
                assertTrue(ei <= 2e-2, name + " int8: relative Frobenius error " + ei);
            }
        }
    }

    /**
     * {@code format: bf16} with every product of two rows or more through oneDNN (the prompts'
     * prefill; decode stays on the Vector API as by default) generates the f16 golden tokens: the
     * first 32 of each prompt, or up to a step where the f16 logits of the golden token and of the
     * token bf16 chose differ by less than {@link #NEAR_TIE} (a near-tie that bf16's rounding may
     * tip either way; that step is printed).
     */
    @Test
    void bf16GreedyGenerationMatchesTheF16GoldenFor32Tokens() throws Exception {
        Path model = SharedFiles.require(MODEL);
        Path golden = SharedFiles.require("golden/prose-llama-35m-f16.jsonl");
        try (ComputePool pool = pool()) {
            // only checks that oneDNN loads and computes bf16 here
        }
        System.setProperty("isthmus.onednn.min-rows", "2");
        Engine bf16;
        try {
            bf16 = Engine.open(ModelSpec.ofModelPath(model).withFormat(FormatSpec.parse("bf16")),
                    EngineOptions.defaults().withThreads(2).withWarmUpMillis(0));
        } finally {
            System.clearProperty("isthmus.onednn.min-rows");
        }
        int exact = 0;
        try (bf16; Engine f16 = Engine.open(model, EngineOptions.defaults().withThreads(2).withWarmUpMillis(0))) {
            for (JsonNode line : GoldenGenerationTest.lines(golden)) {
                String prompt = line.get("prompt").asText();
                int[] want = Arrays.copyOf(GoldenGenerationTest.ints(line.get("generated_token_ids")), 32);
                int[] got = bf16.generate(GenerationRequest.of(prompt).withMaxTokens(32)).tokenIds();
                int d = Arrays.mismatch(want, got);
                if (d < 0) {
                    exact++;
                    continue;
                }
                int[] promptIds = GoldenGenerationTest.ints(line.get("prompt_token_ids"));
                int[] context = Arrays.copyOf(promptIds, promptIds.length + d);
                System.arraycopy(want, 0, context, promptIds.length, d);
                float[] logits = f16.nextTokenLogits(context);
                double margin = logits[want[d]] - logits[got[d]];
                System.out.printf("bf16 (oneDNN prefill) leaves the f16 path of '%s' at token %d: f16 logits %d: %.4f,"
                        + " %d: %.4f (margin %.4f)%n", prompt, d, want[d], logits[want[d]], got[d], logits[got[d]], margin);
                assertTrue(margin < NEAR_TIE, "prompt '" + prompt + "': bf16 differs at token " + d + " where f16 prefers "
                        + want[d] + " by " + margin + " logits, not a near-tie");
            }
        }
        System.out.println("bf16 through oneDNN matches all 32 f16 golden tokens on " + exact + " prompts");
        assertTrue(exact >= 1, "no prompt matched all 32 tokens");
    }

    /**
     * {@code format: bf16} as a user runs it (default settings: the golden prompts, 4–6 tokens, are
     * below the smallest oneDNN product, so only the weights are rounded) generates exactly the first
     * 32 f16 golden tokens of every prompt.
     */
    @Test
    void bf16WithDefaultSettingsMatchesEveryF16GoldenPromptFor32Tokens() throws Exception {
        Path model = SharedFiles.require(MODEL);
        Path golden = SharedFiles.require("golden/prose-llama-35m-f16.jsonl");
        try (Engine bf16 = Engine.open(ModelSpec.ofModelPath(model).withFormat(FormatSpec.parse("bf16")),
                EngineOptions.defaults().withThreads(2).withWarmUpMillis(0))) {
            for (JsonNode line : GoldenGenerationTest.lines(golden)) {
                int[] want = Arrays.copyOf(GoldenGenerationTest.ints(line.get("generated_token_ids")), 32);
                int[] got = bf16.generate(GenerationRequest.of(line.get("prompt").asText()).withMaxTokens(32)).tokenIds();
                assertArrayEquals(want, got, "format: bf16 on '" + line.get("prompt").asText() + "'");
            }
        }
    }

    /** Logit difference under which the f16 reference's choice counts as a near-tie. */
    private static final double NEAR_TIE = 0.01;

    /**
     * Perplexity of WikiText-2 (the first {@link #PPL_TOKENS} tokens, windows of 512) with the f16
     * weights on the Vector API kernels, and with {@code format: bf16} and {@code int8} through
     * oneDNN (prefill batches of 64): printed for the README, and bounded.
     */
    @Test
    void perplexityChangeOfBf16AndInt8() throws Exception {
        Path model = SharedFiles.require(MODEL);
        String text = Files.readString(SharedFiles.require("data/wikitext-2-raw/wiki.test.raw"));
        int[] tokens;
        try (Engine engine = Engine.open(model, EngineOptions.defaults().withThreads(1).withWarmUpMillis(0))) {
            tokens = Arrays.copyOf(engine.tokenizer().encode(text.substring(0, 20_000), true), PPL_TOKENS);
        }
        try (ComputePool pool = pool()) {
            double f16 = perplexity(model, null, pool, tokens);
            double bf16 = perplexity(model, FormatSpec.parse("bf16"), pool, tokens);
            double int8 = perplexity(model, FormatSpec.parse("int8"), pool, tokens);
            System.out.printf("prose-llama-35m WikiText-2 perplexity over %d tokens: f16 (Vector API) %.4f, bf16 (oneDNN) %.4f"
                    + " (%+.2f%%), int8 (oneDNN) %.4f (%+.2f%%)%n", tokens.length, f16, bf16, 100 * (bf16 / f16 - 1),
                    int8, 100 * (int8 / f16 - 1));
            assertTrue(Math.abs(bf16 / f16 - 1) < 0.01, "bf16 perplexity " + bf16 + " vs f16 " + f16);
            assertTrue(Math.abs(int8 / f16 - 1) < 0.03, "int8 perplexity " + int8 + " vs f16 " + f16);
        }
    }

    private static final int PPL_TOKENS = 1024;
    private static final int WINDOW = 512;

    private static double perplexity(Path model, FormatSpec format, ComputePool pool, int[] tokens) {
        try (ModelWeights w = WeightFormats.convert(ModelLoader.load(model), format)) {
            Transformer t = new Transformer(w, pool);
            int vocab = t.config().vocabSize();
            double nll = 0;
            int count = 0;
            float[] logits = new float[64 * vocab];
            for (int start = 0; start + 1 < tokens.length; start += WINDOW) {
                int len = Math.min(WINDOW, tokens.length - start);
                KvCache cache = t.newCache(KvCacheType.F32, len);
                for (int off = 0; off < len - 1; off += 64) {
                    int m = Math.min(64, len - 1 - off);
                    t.forward(cache, tokens, start + off, m, off, logits, true);
                    for (int i = 0; i < m; i++) {
                        nll -= logSoftmax(logits, i * vocab, vocab, tokens[start + off + i + 1]);
                        count++;
                    }
                }
            }
            return Math.exp(nll / count);
        }
    }

    private static double logSoftmax(float[] logits, int off, int vocab, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            max = Math.max(max, logits[off + v]);
        }
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
            sum += Math.exp(logits[off + v] - max);
        }
        return logits[off + target] - max - Math.log(sum);
    }
}
