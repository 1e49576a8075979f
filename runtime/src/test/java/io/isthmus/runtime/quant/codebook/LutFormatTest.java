package io.isthmus.runtime.quant.codebook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.runtime.kernel.Reference;
import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.quant.PackedFormat;
import io.isthmus.runtime.quant.PackedFormats;
import io.isthmus.runtime.quant.PackedMatrix;
import io.isthmus.runtime.quant.PackedMatrixChecks;
import io.isthmus.runtime.quant.sparse.SparseMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LutFormatTest {

    private static final int[] KS = {172, 64, 288, 33, 1024};
    private static final int[] NS = {37, 7};

    private static PackedMatrix quantize(String spec, float[] w, int n, int k, Arena arena) {
        FormatSpec s = FormatSpec.parse(spec);
        return PackedFormats.forSpec(s).quantize("blk.0.ffn_down.weight", w, n, k, s, null, arena);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lut4", "lut3", "lut4+sparse", "lut3+sparse0.5"})
    void kernelMatchesScalarReference(String spec) {
        Random rnd = new Random(spec.hashCode());
        try (Arena arena = Arena.ofConfined()) {
            for (int k : KS) {
                for (int n : NS) {
                    PackedMatrix w = quantize(spec, Reference.gaussian(rnd, n * k, 0.05), n, k, arena);
                    PackedMatrixChecks.kernelMatchesReference(w, rnd);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lut4", "lut3", "lut4+sparse", "lut3+sparse"})
    void slicesAndPartsKeepTheValues(String spec) {
        Random rnd = new Random(11);
        try (Arena arena = Arena.ofConfined()) {
            for (int k : KS) {
                PackedMatrix w = quantize(spec, Reference.gaussian(rnd, 37 * k, 0.05), 37, k, arena);
                PackedMatrixChecks.slicesMatch(w, arena, rnd);
                PackedMatrixChecks.kernelMatchesReference(PackedMatrixChecks.roundTrip(w), rnd);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 4})
    void everyRowHasItsOwnCodebookOfAtMostTwoToTheBValues(int bits) {
        Random rnd = new Random(bits);
        int n = 9, k = 300;
        float[] w = Reference.gaussian(rnd, n * k, 1);
        for (int c = 0; c < k; c++) {
            w[4 * k + c] *= 100; // one row on a very different scale
        }
        try (Arena arena = Arena.ofConfined()) {
            PackedMatrix m = quantize("lut" + bits, w, n, k, arena);
            float[] got = m.dequantizeAll();
            for (int r = 0; r < n; r++) {
                TreeSet<Float> levels = new TreeSet<>();
                double err = 0, norm = 0;
                for (int c = 0; c < k; c++) {
                    levels.add(got[r * k + c]);
                    err += Math.pow(got[r * k + c] - w[r * k + c], 2);
                    norm += Math.pow(w[r * k + c], 2);
                }
                assertTrue(levels.size() <= 1 << bits, "row " + r + " has " + levels.size() + " levels");
                // k-means of a Gaussian: 3 bits leave about 3.5 % of the energy, 4 bits about 1 %
                assertTrue(err / norm < (bits == 3 ? 0.05 : 0.015), "row " + r + ": relative squared error " + err / norm);
            }
            // blocks of 128 columns in 64 bytes (lut4) or of 512 in 192 bytes (lut3), plus the tables
            long blocks = bits == 4 ? (k + 127) / 128 : (k + 511) / 512;
            assertEquals(n * (blocks * (bits == 4 ? 64 : 192) + 4L * (1 << bits)), m.byteSize());
        }
    }

    @Test
    void aRowWithFewDistinctValuesIsExact() {
        float[] w = new float[2 * 40];
        for (int c = 0; c < 40; c++) {
            w[c] = c % 3 - 1;         // three values
            w[40 + c] = c % 8 * 0.25f; // eight values
        }
        try (Arena arena = Arena.ofConfined()) {
            for (String spec : new String[] {"lut3", "lut4"}) {
                float[] got = quantize(spec, w, 2, 40, arena).dequantizeAll();
                for (int i = 0; i < w.length; i++) {
                    assertEquals(w[i], got[i], spec + " at " + i);
                }
            }
        }
    }

    @Test
    void codesPackAsDocumented() {
        Random rnd = new Random(5);
        for (CodePacking p : CodePacking.values()) {
            for (int cols : new int[] {1, 31, 32, 33, 95, 172, 600, 1030}) {
                byte[] codes = new byte[cols];
                for (int c = 0; c < cols; c++) {
                    codes[c] = (byte) rnd.nextInt(p.levels());
                }
                byte[] packed = new byte[(int) p.rowBytes(cols) + 3];
                p.pack(codes, cols, packed, 3);
                MemorySegment seg = MemorySegment.ofArray(packed);
                for (int c = 0; c < cols; c++) {
                    assertEquals(codes[c], p.get(seg, 3, c), p + " column " + c + " of " + cols);
                }
            }
        }
        // 4-bit: lane l = c % 16 is the little-endian word at byte 4l; plane t = c / 16 its bits 4t..4t+3
        byte[] codes = new byte[128];
        codes[2] = 3;   // lane 2, plane 0
        codes[18] = 12; // lane 2, plane 1
        byte[] packed = new byte[64];
        CodePacking.FOUR_BIT.pack(codes, 128, packed, 0);
        assertEquals((byte) 0xC3, packed[8]);
        // 3-bit: three runs of 16 words; plane t < 30 is bits 3(t mod 10).. of run t / 10, planes 30 and 31 straddle
        codes = new byte[512];
        codes[16 * 10 + 1] = 5; // plane 10, lane 1: bits 0-2 of the second run's word 1
        codes[16 * 30 + 2] = 7; // plane 30, lane 2: bits 30-31 of run 0, bit 30 of run 1
        codes[16 * 31 + 3] = 5; // plane 31, lane 3: bit 31 of run 1, bits 30-31 of run 2
        packed = new byte[192];
        CodePacking.THREE_BIT.pack(codes, 512, packed, 0);
        assertEquals(5, packed[64 + 4]);
        assertEquals((byte) 0xC0, packed[8 + 3]);
        assertEquals(0x40, packed[64 + 8 + 3]);
        assertEquals((byte) 0x80, packed[64 + 12 + 3]);
        assertEquals((byte) 0x80, packed[128 + 12 + 3]);
    }

    @Test
    void specsAreCheckedAndResolved() {
        PackedFormat lut4 = PackedFormats.forSpec(FormatSpec.parse("lut4"));
        assertInstanceOf(LutFormat.class, lut4);
        assertEquals("lut3", PackedFormats.forSpec(FormatSpec.parse("lut3")).name());
        assertTrue(PackedFormats.names().containsAll(java.util.List.of("lut3", "lut4")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> lut4.resolve(FormatSpec.parse("lut4-g64")));
        assertTrue(e.getMessage().contains("group size"), e.getMessage());
        assertEquals("lut4+sparse0.45", PackedFormats.forSpec(FormatSpec.parse("lut4+sparse"))
                .resolve(FormatSpec.parse("lut4+sparse")).spec());
        try (Arena arena = Arena.ofConfined()) {
            PackedMatrix m = quantize("lut3+sparse0.2", Reference.gaussian(new Random(1), 8 * 64, 1), 8, 64, arena);
            assertInstanceOf(SparseMatrix.class, m);
            assertEquals("lut3+sparse0.2", m.format());
        }
    }

    @Test
    void badPartsAreNamed() {
        try (Arena arena = Arena.ofConfined()) {
            PackedMatrix m = quantize("lut4", Reference.gaussian(new Random(2), 4 * 64, 1), 4, 64, arena);
            Map<String, MemorySegment> parts = new HashMap<>(m.parts());
            parts.remove("lut");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LutFormat.LUT4.read("blk.3.attn_q.weight", 4, 64, m.spec(), parts));
            assertTrue(e.getMessage().contains("blk.3.attn_q.weight") && e.getMessage().contains("lut"), e.getMessage());
            Map<String, MemorySegment> notFinite = new HashMap<>(m.parts());
            MemorySegment table = MemorySegment.ofArray(new byte[(int) m.parts().get("lut").byteSize()]);
            table.copyFrom(m.parts().get("lut"));
            table.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 17, Float.NaN); // row 1
            notFinite.put("lut", table);
            e = assertThrows(IllegalArgumentException.class,
                    () -> LutFormat.LUT4.read("blk.3.attn_q.weight", 4, 64, m.spec(), notFinite));
            assertTrue(e.getMessage().contains("blk.3.attn_q.weight") && e.getMessage().contains("row 1"), e.getMessage());
            Map<String, MemorySegment> wrongSize = new HashMap<>(m.parts());
            e = assertThrows(IllegalArgumentException.class,
                    () -> LutFormat.LUT4.read("blk.3.attn_q.weight", 5, 64, m.spec(), wrongSize));
            assertTrue(e.getMessage().contains("blk.3.attn_q.weight"), e.getMessage());
        }
    }
}
