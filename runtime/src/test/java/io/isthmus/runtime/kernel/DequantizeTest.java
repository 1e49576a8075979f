package io.isthmus.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class DequantizeTest {

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q6_K"})
    void kQuantBlocksDecodeToTheEncodedValues(GgmlType type) {
        Random rnd = new Random(11);
        int rows = 3, cols = 512;
        float[] want = new float[rows * cols];
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = KQuantBlocks.randomTensor(arena, type, rows, cols, rnd, want);
            float[] got = Dequantize.all(t);
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], Math.abs(want[i]) * 1e-6 + 1e-9, type + " element " + i);
            }
        }
    }

    @Test
    void quantizeRoundTripErrorBounds() {
        Random rnd = new Random(5);
        int rows = 9, cols = 172; // padded last block
        float[] x = Reference.gaussian(rnd, rows * cols, 1);
        x[3] = 0; // exact zero and a whole zero block survive
        java.util.Arrays.fill(x, cols, cols + 32, 0f);
        try (Arena arena = Arena.ofConfined()) {
            for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0}) {
                Tensor t = Quantize.quantize(arena, "t", type, x, 0, rows, cols);
                assertEquals(type.rowBytes(cols) * rows, t.byteSize());
                float[] y = Dequantize.all(t);
                for (int r = 0; r < rows; r++) {
                    for (int b = 0; b * 32 < cols; b++) {
                        float amax = 0;
                        for (int c = b * 32; c < Math.min(cols, b * 32 + 32); c++) {
                            amax = Math.max(amax, Math.abs(x[r * cols + c]));
                        }
                        for (int c = b * 32; c < Math.min(cols, b * 32 + 32); c++) {
                            int i = r * cols + c;
                            double bound = switch (type) {
                                case F32 -> 0;
                                case F16 -> Math.abs(x[i]) * 0x1p-11;
                                case BF16 -> Math.abs(x[i]) * 0x1p-8;
                                case Q8_0 -> amax / 127 * (0.5 + 127 * 0x1p-11) * 1.001; // rounding + f16 scale
                                case Q4_0 -> amax / 8 * (1 + 8 * 0x1p-11) * 1.001; // the +max side clamps to 7
                                default -> throw new AssertionError();
                            };
                            assertTrue(Math.abs(y[i] - x[i]) <= bound,
                                    type + " [" + r + "," + c + "]: " + x[i] + " -> " + y[i] + " bound " + bound);
                        }
                    }
                }
                assertEquals(0f, y[3]);
            }
        }
    }

    @Test
    void q8_0MatchesGgmlRounding() {
        float[] x = new float[32];
        x[0] = 127; // d = 1
        x[1] = 2.5f; // roundf: 3 (Math.round would give 3 too; -2.5 tells them apart)
        x[2] = -2.5f;
        x[3] = 0.49999997f;
        try (Arena arena = Arena.ofConfined()) {
            float[] y = Dequantize.all(Quantize.quantize(arena, "t", GgmlType.Q8_0, x, 0, 1, 32));
            assertArrayEquals(new float[] {127, 3, -3, 0}, java.util.Arrays.copyOf(y, 4));
        }
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals((short) 0x3f80, io.isthmus.collectives.Bf16.fromFloat(1f));
        assertEquals((short) 0x3f80, io.isthmus.collectives.Bf16.fromFloat(Float.intBitsToFloat(0x3f808000))); // tie → even
        assertEquals((short) 0x3f82, io.isthmus.collectives.Bf16.fromFloat(Float.intBitsToFloat(0x3f818000))); // tie → even (up)
        assertEquals((short) 0x3f81, io.isthmus.collectives.Bf16.fromFloat(Float.intBitsToFloat(0x3f808001)));
    }
}
