package io.isthmus.runtime.format;

import io.isthmus.numa.CpuSet;
import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.model.KvCache;
import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.Transformer;
import io.isthmus.runtime.quant.WeightFormats;
import io.isthmus.runtime.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The quantized file: a model converted in memory, written and loaded back gives byte-identical
 * weights and the same logits; the file is valid safetensors (contiguous, aligned); damaged files
 * are refused naming the file and the tensor.
 */
class QuantizedFileTest {
    static final Path MODEL = Path.of("../examples/models/stories260K.gguf").toAbsolutePath().normalize();
    static final int[] PROMPT = {1, 403, 407, 261, 378};

    static float[] logits(ModelWeights m) {
        try (ComputePool pool = new ComputePool(CpuSet.of(0), false)) {
            Transformer t = new Transformer(m, pool);
            float[] out = new float[PROMPT.length * m.config().vocabSize()];
            KvCache cache = t.newCache(KvCacheType.F32, PROMPT.length);
            t.forward(cache, PROMPT, 0, PROMPT.length, 0, out, true);
            return out;
        }
    }

    /**
     * Logits of byte-identical weights: equal up to the order in which Vector API reductions add,
     * which the JIT may change between runs (the interpreter adds lanes in order, C2 as a tree, and
     * a mapped file's segments make C2 compile again), so the last bits may differ.
     */
    static void assertSameLogits(float[] want, float[] got) {
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-5f * Math.max(1, Math.abs(want[i])), "logit " + i);
        }
    }

    /** Every packed part and tensor of {@code a} equals {@code b}'s byte for byte. */
    static void assertSameBytes(ModelWeights a, ModelWeights b) {
        for (WeightMatrix w : a.packed().values()) {
            var pa = ((io.isthmus.runtime.quant.PackedMatrix) w).parts();
            var pb = ((io.isthmus.runtime.quant.PackedMatrix) b.packed().get(w.name())).parts();
            assertEquals(pa.keySet(), pb.keySet(), w.name());
            pa.forEach((part, seg) -> assertEquals(-1, seg.mismatch(pb.get(part)), w.name() + "." + part));
        }
        for (Tensor t : a.tensors().values()) {
            Tensor u = b.tensor(t.name());
            assertEquals(-1, t.data().asSlice(0, t.byteSize()).mismatch(u.data().asSlice(0, u.byteSize())), t.name());
        }
    }

    static Path write(Path dir, String format) {
        Path file = dir.resolve("m-" + format + ".safetensors");
        try (ModelWeights m = WeightFormats.convert(ModelLoader.load(MODEL), FormatSpec.parse(format))) {
            new QuantizedFileWriter(m).metadata("isthmus.source", MODEL.toString()).write(file);
        }
        return file;
    }

    @Test
    void packedRoundTripGivesTheSameWeightsAndLogits(@TempDir Path dir) {
        Path file = write(dir, "test_int8");
        try (ModelWeights memory = WeightFormats.convert(ModelLoader.load(MODEL), FormatSpec.parse("test_int8"));
             ModelWeights loaded = ModelLoader.load(file)) {
            assertEquals(memory.config(), loaded.config());
            assertEquals(memory.packed().keySet(), loaded.packed().keySet());
            assertEquals(memory.tensors().keySet(), loaded.tensors().keySet());
            for (WeightMatrix w : loaded.packed().values()) {
                assertEquals("test_int8", w.format());
            }
            assertSameBytes(memory, loaded);
            for (Tensor t : loaded.tensors().values()) {
                assertEquals(memory.tensor(t.name()).type(), t.type(), t.name());
                assertArrayEquals(memory.tensor(t.name()).shape(), t.shape(), t.name());
            }
            assertSameLogits(logits(memory), logits(loaded));
        }
    }

    static java.util.stream.Stream<String> packedFormats() {
        return io.isthmus.runtime.quant.PackedFormats.names().stream()
                .map(name -> io.isthmus.runtime.quant.FormatTarget.of(FormatSpec.parse(name)).spec().spec());
    }

    /** Every family's parts, whatever memory they live in (fp6 keeps its scales in a short[]), write and read back. */
    @ParameterizedTest
    @MethodSource("packedFormats")
    void everyPackedFormatRoundTrips(String format, @TempDir Path dir) {
        Path file = write(dir, format);
        try (ModelWeights memory = WeightFormats.convert(ModelLoader.load(MODEL), FormatSpec.parse(format));
             ModelWeights loaded = ModelLoader.load(file)) {
            assertSameBytes(memory, loaded);
        }
    }

    @Test
    void ggufTypesRoundTripAsTheirBlocks(@TempDir Path dir) {
        Path file = write(dir, "q4_0");
        try (ModelWeights memory = WeightFormats.convert(ModelLoader.load(MODEL), FormatSpec.parse("q4_0"));
             ModelWeights loaded = ModelLoader.load(file)) {
            assertTrue(loaded.packed().isEmpty());
            assertEquals(io.isthmus.runtime.tensor.GgmlType.Q4_0, loaded.tensor("blk.3.ffn_down.weight").type());
            assertSameBytes(memory, loaded);
            assertSameLogits(logits(memory), logits(loaded));
        }
    }

    @Test
    void theFileIsContiguousAlignedSafetensors(@TempDir Path dir) throws Exception {
        Path file = write(dir, "test_int8");
        byte[] all = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + headerLength) % 64, "the data area starts aligned");
        var header = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(new String(all, 8, (int) headerLength, StandardCharsets.UTF_8));
        long[][] spans = header.properties().stream().filter(e -> !e.getKey().equals("__metadata__"))
                .map(e -> new long[] {e.getValue().get("data_offsets").get(0).asLong(), e.getValue().get("data_offsets").get(1).asLong()})
                .sorted((a, b) -> Long.compare(a[0], b[0])).toArray(long[][]::new);
        long end = 0;
        for (long[] s : spans) {
            assertEquals(end, s[0], "no holes between entries");
            end = s[1];
        }
        assertEquals(all.length - 8 - headerLength, end, "the entries fill the data area");
        assertEquals(0, header.get("blk.0.attn_q.weight.codes").get("data_offsets").get(0).asLong() % 64);
        assertEquals("{\"format\":\"test_int8\",\"shape\":[64,64],\"parts\":[\"codes\",\"scales\"]}",
                header.get("__metadata__").get("isthmus.tensor.blk.0.attn_q.weight").asText());
        assertEquals("{\"format\":\"f32\",\"shape\":[64]}",
                header.get("__metadata__").get("isthmus.tensor.output_norm.weight").asText());
        assertEquals("F32", header.get("output_norm.weight").get("dtype").asText());
    }

    @Test
    void aTruncatedFileNamesTheFileAndATensor(@TempDir Path dir) throws Exception {
        Path file = write(dir, "test_int8");
        byte[] all = Files.readAllBytes(file);
        Path cut = Files.write(dir.resolve("cut.safetensors"), Arrays.copyOf(all, all.length * 3 / 4));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(cut).close());
        assertTrue(e.getMessage().matches(".*cut\\.safetensors: tensor '[^']+': truncated or corrupt.*"), e.getMessage());
    }

    @Test
    void anUnknownFormatInTheMetadataNamesTheFileAndTheTensor(@TempDir Path dir) throws Exception {
        Path file = write(dir, "test_int8");
        Path bad = Files.write(dir.resolve("bad.safetensors"), replaceAll(Files.readAllBytes(file), "test_int8", "zzzz_int8"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(bad).close());
        assertTrue(e.getMessage().matches(".*bad\\.safetensors: tensor 'blk\\.[0-9]\\.[a-z_]+\\.weight': unknown format"
                + " 'zzzz_int8' \\(packed formats of this build: .*test_int8.*\\)"), e.getMessage());
    }

    @Test
    void aMissingPartNamesTheTensorAndThePart(@TempDir Path dir) throws Exception {
        Path file = write(dir, "test_int8");
        Path bad = Files.write(dir.resolve("part.safetensors"),
                replaceAll(Files.readAllBytes(file), "blk.2.ffn_up.weight.scales\"", "blk.2.ffn_up.weight.scalez\""));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(bad).close());
        assertTrue(e.getMessage().endsWith("part.safetensors: tensor 'blk.2.ffn_up.weight': part 'scales'"
                + " (entry 'blk.2.ffn_up.weight.scales') is missing"), e.getMessage());
    }

    @Test
    void aPlainSafetensorsFileIsStillAHuggingFaceShard(@TempDir Path dir) throws Exception {
        Path folder = Files.createDirectory(dir.resolve("hf"));
        Path st = new SafetensorsWriter().putF32("x", new long[] {2}, new float[] {1, 2}).write(folder.resolve("model.safetensors"));
        assertFalse(QuantizedFile.is(st));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(st).close());
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    }

    static byte[] replaceAll(byte[] all, String from, String to) {
        assertEquals(from.length(), to.length());
        byte[] f = from.getBytes(StandardCharsets.UTF_8);
        byte[] t = to.getBytes(StandardCharsets.UTF_8);
        int n = 0;
        outer:
        for (int i = 0; i <= all.length - f.length; i++) {
            for (int j = 0; j < f.length; j++) {
                if (all[i + j] != f[j]) {
                    continue outer;
                }
            }
            System.arraycopy(t, 0, all, i, t.length);
            n++;
        }
        assertTrue(n > 0, "'" + from + "' not found");
        return all;
    }
}
