package io.isthmus.runtime.format;

import io.isthmus.runtime.kernel.RopeStyle;
import io.isthmus.runtime.model.Activation;
import io.isthmus.runtime.model.Architecture;
import io.isthmus.runtime.model.ModelConfig;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.QkvLayout;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import io.isthmus.runtime.testing.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static io.isthmus.runtime.format.SafetensorsFileTest.assertMessage;
import static org.junit.jupiter.api.Assertions.*;

class ModelLoaderTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void stories260KGgufAndLlama2cAgree() {
        try (ModelWeights gguf = ModelLoader.load(GgufFileTest.BUNDLED);
             ModelWeights bin = ModelLoader.load(SharedFiles.require(Llama2cCheckpointTest.STORIES_BIN))) {
            ModelConfig expected = new ModelConfig(Architecture.LLAMA, 64, 172, 5, 8, 4, 8, 512, 512, 1e-5f, 8,
                    10000, 1, RopeStyle.ADJACENT_PAIRS, false, QkvLayout.SEPARATE, Activation.SWIGLU);
            assertEquals(expected, bin.config());
            // The GGUF converter wrote its default context length (2048), not the trained 512.
            assertEquals(new ModelConfig(Architecture.LLAMA, 64, 172, 5, 8, 4, 8, 512, 2048, 1e-5f, 8,
                    10000, 1, RopeStyle.ADJACENT_PAIRS, false, QkvLayout.SEPARATE, Activation.SWIGLU), gguf.config());

            // The checkpoint shares its classifier; the GGUF carries a copy as output.weight.
            Set<String> names = new HashSet<>(bin.tensors().keySet());
            names.add("output.weight");
            assertEquals(names, gguf.tensors().keySet());
            assertEquals(2 + 5 * 9, bin.tensors().size());
            for (Tensor t : bin.tensors().values()) {
                Tensor g = gguf.tensor(t.name());
                assertEquals(t.name(), g.name());
                assertArrayEquals(g.shape(), t.shape(), t.name());
                assertEquals(-1, g.data().mismatch(t.data()), t.name() + " differs");
            }
            assertEquals(-1, gguf.tensor("output.weight").data().mismatch(bin.tensor("token_embd.weight").data()));
            assertNull(bin.optional("output.weight"));
        }
    }

    @Test
    void proseNeoxFolderMatchesItsF16Gguf() {
        Path dir = SharedFiles.require("models/prose-neox-9m");
        try (ModelWeights hf = ModelLoader.load(dir);
             ModelWeights gguf = ModelLoader.load(dir.resolve("prose-neox-9m-f16.gguf"))) {
            ModelConfig c = hf.config();
            assertEquals(new ModelConfig(Architecture.GPT_NEOX, 256, 1024, 6, 4, 4, 64, 8192, 512, 1e-5f, 16,
                    10000, 1, RopeStyle.HALF_SPLIT, true, QkvLayout.FUSED_PER_HEAD, Activation.GELU_ERF), c);
            assertEquals(new ModelConfig(c.architecture(), c.dim(), c.ffnDim(), c.layers(), c.heads(), c.kvHeads(),
                    c.headDim(), c.vocabSize(), c.contextLength(), c.normEps(), c.ropeDims(), c.ropeTheta(),
                    c.ropeFreqScale(), c.ropeStyle(), c.parallelResidual(), QkvLayout.FUSED_BLOCKED,
                    Activation.GELU_TANH), gguf.config());
            assertEquals(gguf.tensors().keySet(), hf.tensors().keySet());
            assertEquals(76, hf.tensors().size());
            assertTrue(hf.tensor("blk.0.attn_qkv.weight").data().isMapped());

            assertF16Rounding(hf.tensor("blk.3.attn_output.weight"), gguf.tensor("blk.3.attn_output.weight"),
                    (row, col) -> row);
            // HF stores q/k/v rows per head, llama.cpp all q, then all k, then all v.
            int hd = c.headDim();
            assertF16Rounding(hf.tensor("blk.1.attn_qkv.weight"), gguf.tensor("blk.1.attn_qkv.weight"), (row, col) -> {
                int part = row / c.dim();
                int head = row % c.dim() / hd;
                return head * 3 * hd + part * hd + row % hd;
            });
        }
    }

    interface RowMap {
        int hfRow(int ggufRow, int col);
    }

    /** Every GGUF f16 element is the HF f32 element rounded to f16 (as the converter does). */
    private static void assertF16Rounding(Tensor hf, Tensor gguf, RowMap map) {
        assertEquals(GgmlType.F32, hf.type());
        assertEquals(GgmlType.F16, gguf.type());
        assertArrayEquals(hf.shape(), gguf.shape());
        for (int r = 0; r < gguf.rows(); r++) {
            for (int col = 0; col < gguf.cols(); col++) {
                float f = hf.data().get(F32, (map.hfRow(r, col) * (long) hf.cols() + col) * 4);
                short h = gguf.data().get(F16, (r * (long) gguf.cols() + col) * 2);
                if (Float.floatToFloat16(f) != h) {
                    fail(gguf.name() + "[" + r + "][" + col + "]: f16 " + Float.float16ToFloat(h) + " is not " + f + " rounded");
                }
            }
        }
    }

    @Test
    void proseLlamaGgufIsGqaAndTied() {
        try (ModelWeights m = ModelLoader.load(SharedFiles.require("models/prose-llama-35m/prose-llama-35m-q4_k_m.gguf"))) {
            assertEquals(new ModelConfig(Architecture.LLAMA, 512, 1536, 6, 8, 4, 64, 32000, 512, 1e-5f, 64,
                    10000, 1, RopeStyle.ADJACENT_PAIRS, false, QkvLayout.SEPARATE, Activation.SWIGLU), m.config());
            assertNull(m.optional("output.weight"));
            assertEquals(GgmlType.Q6_K, m.tensor("token_embd.weight").type());
            assertArrayEquals(new long[]{512, 256}, m.tensor("blk.0.attn_k.weight").shape());
        }
    }

    // A tiny synthetic Llama: dim 8, 2 heads of 4, 1 KV head, ffn 12, 2 layers, vocab 16.

    private static Map<String, long[]> tinyLlamaShapes() {
        Map<String, long[]> s = new LinkedHashMap<>();
        s.put("model.embed_tokens.weight", new long[]{16, 8});
        for (int l = 0; l < 2; l++) {
            String p = "model.layers." + l + ".";
            s.put(p + "input_layernorm.weight", new long[]{8});
            s.put(p + "self_attn.q_proj.weight", new long[]{8, 8});
            s.put(p + "self_attn.q_proj.bias", new long[]{8});
            s.put(p + "self_attn.k_proj.weight", new long[]{4, 8});
            s.put(p + "self_attn.v_proj.weight", new long[]{4, 8});
            s.put(p + "self_attn.o_proj.weight", new long[]{8, 8});
            s.put(p + "post_attention_layernorm.weight", new long[]{8});
            s.put(p + "mlp.gate_proj.weight", new long[]{12, 8});
            s.put(p + "mlp.up_proj.weight", new long[]{12, 8});
            s.put(p + "mlp.down_proj.weight", new long[]{8, 12});
        }
        s.put("model.norm.weight", new long[]{8});
        s.put("lm_head.weight", new long[]{16, 8});
        return s;
    }

    private static final String TINY_CONFIG = """
            {"architectures": ["Qwen2ForCausalLM"], "hidden_size": 8, "intermediate_size": 12,
             "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 16,
             "max_position_embeddings": 64, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
             "rope_scaling": {"type": "linear", "factor": 4.0}, "tie_word_embeddings": false, "hidden_act": "silu"}
            """;

    /** Distinct values per tensor and element, so a mix-up between tensors or shards shows. */
    private static float[] values(String name, long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = name.hashCode() % 1000 + i * 0.5f;
        }
        return v;
    }

    private static Path tinyFolder(Path dir, String config, Map<String, long[]> shapes, int shards) throws Exception {
        Files.writeString(dir.resolve("config.json"), config);
        Files.writeString(dir.resolve("tokenizer.json"), "{}");
        SafetensorsWriter[] writers = new SafetensorsWriter[shards];
        for (int i = 0; i < shards; i++) {
            writers[i] = new SafetensorsWriter();
        }
        StringBuilder weightMap = new StringBuilder();
        int i = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            int shard = i++ % shards;
            writers[shard].putF32(e.getKey(), e.getValue(), values(e.getKey(), e.getValue()));
            weightMap.append(weightMap.isEmpty() ? "" : ",").append('"').append(e.getKey()).append("\":\"")
                    .append(shardName(shard, shards)).append('"');
        }
        for (int s = 0; s < shards; s++) {
            writers[s].write(dir.resolve(shards == 1 ? HuggingFaceFolder.SINGLE : shardName(s, shards)));
        }
        if (shards > 1) {
            Files.writeString(dir.resolve(HuggingFaceFolder.INDEX), "{\"metadata\":{},\"weight_map\":{" + weightMap + "}}");
        }
        return dir;
    }

    private static String shardName(int shard, int shards) {
        return "model-%05d-of-%05d.safetensors".formatted(shard + 1, shards);
    }

    @Test
    void shardedSyntheticQwen2Loads(@TempDir Path dir) throws Exception {
        tinyFolder(dir, TINY_CONFIG, tinyLlamaShapes(), 3);
        try (HuggingFaceFolder f = HuggingFaceFolder.open(dir)) {
            assertEquals(3, f.shards().size());
            assertEquals(dir.resolve("tokenizer.json"), f.tokenizerJson());
        }
        try (ModelWeights m = ModelLoader.load(dir.resolve(shardName(1, 3)))) {
            assertEquals(new ModelConfig(Architecture.LLAMA, 8, 12, 2, 2, 1, 4, 16, 64, 1e-6f, 4, 1e6, 0.25,
                    RopeStyle.HALF_SPLIT, false, QkvLayout.SEPARATE, Activation.SWIGLU), m.config());
            assertEquals(2 + 1 + 2 * 10, m.tensors().size());
            for (Map.Entry<String, String> e : Map.of(
                    "blk.1.ffn_down.weight", "model.layers.1.mlp.down_proj.weight",
                    "blk.0.attn_q.bias", "model.layers.0.self_attn.q_proj.bias",
                    "output.weight", "lm_head.weight",
                    "token_embd.weight", "model.embed_tokens.weight").entrySet()) {
                Tensor t = m.tensor(e.getKey());
                float[] expected = values(e.getValue(), tinyLlamaShapes().get(e.getValue()));
                assertArrayEquals(expected, t.data().toArray(F32), e.getKey());
            }
            assertArrayEquals(new long[]{12, 8}, m.tensor("blk.0.ffn_down.weight").shape());
        }
    }

    @Test
    void tiedConfigDropsLmHead(@TempDir Path dir) throws Exception {
        tinyFolder(dir, TINY_CONFIG.replace("\"tie_word_embeddings\": false", "\"tie_word_embeddings\": true"),
                tinyLlamaShapes(), 1);
        try (ModelWeights m = ModelLoader.load(dir)) {
            assertNull(m.optional("output.weight"));
        }
    }

    @Test
    void wrongShapeNamesTheTensor(@TempDir Path dir) throws Exception {
        Map<String, long[]> shapes = tinyLlamaShapes();
        shapes.put("model.layers.1.self_attn.k_proj.weight", new long[]{8, 8});
        tinyFolder(dir, TINY_CONFIG, shapes, 1);
        assertMessage(assertThrows(ModelFormatException.class, () -> ModelLoader.load(dir)),
                dir.toString(), "blk.1.attn_k.weight", "[8, 8]", "[8, 4]");
    }

    @Test
    void missingConfigKeyNamesKeyAndFile(@TempDir Path dir) throws Exception {
        tinyFolder(dir, TINY_CONFIG.replace("\"hidden_size\": 8,", ""), tinyLlamaShapes(), 1);
        assertMessage(assertThrows(ModelFormatException.class, () -> ModelLoader.load(dir)),
                "config.json", "'hidden_size'");
    }

    @Test
    void unsupportedHfArchitecture(@TempDir Path dir) throws Exception {
        tinyFolder(dir, TINY_CONFIG.replace("Qwen2ForCausalLM", "MambaForCausalLM"), tinyLlamaShapes(), 1);
        assertMessage(assertThrows(ModelFormatException.class, () -> ModelLoader.load(dir)),
                "config.json", "MambaForCausalLM");
    }

    @Test
    void unsupportedDtypeNamesFileAndTensor(@TempDir Path dir) throws Exception {
        tinyFolder(dir, TINY_CONFIG, tinyLlamaShapes(), 1);
        SafetensorsWriter w = new SafetensorsWriter();
        tinyLlamaShapes().forEach((name, shape) -> w.putF32(name, shape, values(name, shape)));
        w.put("model.layers.0.self_attn.v_proj.weight", "I64", new long[]{4, 8}, new byte[4 * 8 * 8]);
        w.write(dir.resolve(HuggingFaceFolder.SINGLE));
        assertMessage(assertThrows(ModelFormatException.class, () -> ModelLoader.load(dir)),
                "model.safetensors", "'model.layers.0.self_attn.v_proj.weight'", "I64");
    }

    @Test
    void unsupportedGgufArchitecture(@TempDir Path dir) throws Exception {
        Path p = Files.write(dir.resolve("falcon.gguf"), ggufWithArchitecture("falcon"));
        assertMessage(assertThrows(ModelFormatException.class, () -> ModelLoader.load(p)), "falcon.gguf", "'falcon'");
    }

    /** A GGUF v3 file with no tensors and the single key general.architecture. */
    private static byte[] ggufWithArchitecture(String arch) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putInt(0x46554747).putInt(3).putLong(0).putLong(1);
        out.writeBytes(b.array());
        ggufString(out, "general.architecture");
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(8).array());
        ggufString(out, arch);
        return out.toByteArray();
    }

    private static void ggufString(ByteArrayOutputStream out, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(bytes.length).array());
        out.writeBytes(bytes);
    }

    @Test
    void truncatedLlama2cThroughTheLoader(@TempDir Path dir) throws Exception {
        byte[] all = Files.readAllBytes(SharedFiles.require(Llama2cCheckpointTest.STORIES_BIN));
        Path cut = Files.write(dir.resolve("cut.bin"), java.util.Arrays.copyOf(all, 50_000));
        assertMessage(assertThrows(ModelFormatException.class, () -> ModelLoader.load(cut)),
                "cut.bin", "truncated", "1056540", "50000");
    }
}
