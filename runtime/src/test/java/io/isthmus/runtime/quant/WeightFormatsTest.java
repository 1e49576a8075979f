package io.isthmus.runtime.quant;

import io.isthmus.runtime.config.ConfigException;
import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.format.ModelLoader;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.WeightSummary;
import io.isthmus.runtime.quant.testing.RowInt8Format;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** format: resolution and conversion, with the test-only packed family test_int8 (registered through ServiceLoader). */
class WeightFormatsTest {
    static final Path MODEL = Path.of("../examples/models/stories260K.gguf").toAbsolutePath().normalize();

    @Test
    void theRegistryFindsServiceLoaderFamilies() {
        assertTrue(PackedFormats.names().contains(RowInt8Format.NAME), PackedFormats.names().toString());
        assertInstanceOf(RowInt8Format.class, PackedFormats.forSpec(FormatSpec.parse("test_int8")));
    }

    @Test
    void unknownFormatsListEverySupportedName() {
        ConfigException e = assertThrows(ConfigException.class, () -> FormatTarget.of(FormatSpec.parse("nf9-g64")));
        assertEquals("format 'nf9-g64' is not supported by this build (supported: bf16, f16, f32, q4_0, q8_0, "
                + String.join(", ", PackedFormats.names()) + ")", e.getMessage());
        assertTrue(e.getMessage().contains("test_int8"));
    }

    @Test
    void ggufTypesTakeNoGroupAndFamiliesCheckTheirSpecs() {
        assertTrue(assertThrows(ConfigException.class, () -> FormatTarget.of(FormatSpec.parse("q8_0-g32")))
                .getMessage().contains("takes no group size"));
        assertEquals("format 'test_int8-g64': test_int8 takes no group size and no +sparse suffix",
                assertThrows(ConfigException.class, () -> FormatTarget.of(FormatSpec.parse("test_int8-g64"))).getMessage());
        assertInstanceOf(FormatTarget.Gguf.class, FormatTarget.of(FormatSpec.parse("bf16")));
    }

    @Test
    void packedConversionPacksTheBlockMatricesAndKeepsTheVocabularyAtQ8_0() {
        try (ModelWeights m = WeightFormats.convert(ModelLoader.load(MODEL), FormatSpec.parse("test_int8"))) {
            assertEquals(5 * 7, m.packed().size(), "every block matrix is packed");
            for (WeightMatrix w : m.packed().values()) {
                assertEquals("test_int8", w.format(), w.name());
            }
            assertEquals(GgmlType.Q8_0, m.tensor("token_embd.weight").type(), "vocabulary matrices become q8_0");
            assertEquals(GgmlType.Q8_0, m.tensor("output.weight").type());
            assertEquals(GgmlType.F32, m.tensor("blk.0.attn_norm.weight").type(), "norms are kept");
            assertEquals("test_int8,q8_0", WeightSummary.of(m).formats(), "most weights first");
            // token lookups and products read the packed matrices like any other
            WeightMatrix q = m.matrix("blk.0.attn_q.weight");
            try (ModelWeights source = ModelLoader.load(MODEL)) {
                float[] want = source.matrix("blk.0.attn_q.weight").dequantizeAll();
                float[] got = q.dequantizeAll();
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], 0.01f, "element " + i);
                }
            }
        }
    }

    /**
     * Converted to compute with (a model's format at load), int4 matrices come bound in
     * {@link io.isthmus.runtime.kernel.Int4LaneMatrix} with the weights {@code convert} packs, and
     * the format's name stays theirs; a family that binds to itself (test_int8) is unchanged.
     */
    @Test
    void conversionForComputeBindsEachMatrixAsItsFamilyDoes() {
        try (ModelWeights packed = WeightFormats.convert(ModelLoader.load(MODEL), FormatSpec.parse("int4-g32"));
             ModelWeights bound = WeightFormats.convertForCompute(ModelLoader.load(MODEL), FormatSpec.parse("int4-g32"))) {
            assertEquals(packed.packed().keySet(), bound.packed().keySet());
            for (var e : packed.packed().entrySet()) {
                WeightMatrix w = bound.packed().get(e.getKey());
                assertInstanceOf(io.isthmus.runtime.kernel.Int4LaneMatrix.class, w, e.getKey());
                assertEquals("int4-g32", w.format(), e.getKey());
                assertArrayEquals(e.getValue().dequantizeAll(), w.dequantizeAll(), e.getKey());
            }
            assertEquals(packed.tensor("output.weight").type(), bound.tensor("output.weight").type());
        }
        try (ModelWeights m = WeightFormats.convertForCompute(ModelLoader.load(MODEL), FormatSpec.parse("test_int8"))) {
            m.packed().values().forEach(w -> assertInstanceOf(PackedMatrix.class, w, w.name()));
        }
    }

    @Test
    void ggufConversionConvertsEveryMatrix() {
        try (ModelWeights m = WeightFormats.convert(ModelLoader.load(MODEL), FormatSpec.parse("q8_0"))) {
            for (Tensor t : m.tensors().values()) {
                assertEquals(ModelWeights.isMatrix(t) ? GgmlType.Q8_0 : GgmlType.F32, t.type(), t.name());
            }
            assertTrue(m.packed().isEmpty());
        }
    }

    @Test
    void aMatrixTheFamilyCannotHoldIsNamed() {
        ConfigException e = assertThrows(ConfigException.class, () -> {
            try (ModelWeights ignored = WeightFormats.convert(oddModel(), FormatSpec.parse("test_int8"))) {
                fail("converted");
            }
        });
        assertTrue(e.getMessage().matches(".*format 'test_int8' cannot hold tensor 'blk\\.0\\.ffn_down\\.weight' \\(64×171\\):"
                + " test_int8 needs an even number of columns, got 171"), e.getMessage());
    }

    /** stories260K with every ffn_down cut to 171 columns (and the config's ffn dimension to match). */
    private static ModelWeights oddModel() {
        ModelWeights m = ModelLoader.load(MODEL);
        java.util.Map<String, Tensor> t = new java.util.LinkedHashMap<>(m.tensors());
        for (String name : m.tensors().keySet()) {
            Tensor x = t.get(name);
            if (name.endsWith("ffn_down.weight")) {
                t.put(name, new Tensor(name, x.type(), new long[] {171, x.rows()}, x.data()));
            }
        }
        return new ModelWeights(m.config(), t, m.source(), m);
    }
}
