package io.isthmus.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.isthmus.runtime.quant.PackedMatrixChecks;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link RowGroupMatrix} holds the GGUF tensor's values and passes the checks every packed format must. */
class RowGroupMatrixTest {

    private static final int[] KS = {172, 64, 256 + 32, 33, 1000, 512, 1024};
    private static final int[] NS = {7, 173, 16};

    /** Random weights of {@code type}: quantized Gaussians, or random super-blocks for the K-quants, which Isthmus does not quantize to. */
    private static Tensor tensor(Arena arena, GgmlType type, int rows, int cols, Random rnd) {
        return Quantize.supports(type) ? Quantize.quantize(arena, "w", type, Reference.gaussian(rnd, rows * cols, 0.05), 0, rows, cols)
                : KQuantBlocks.randomTensor(arena, type, rows, cols, rnd);
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void productsMatchTheScalarReferenceForOddShapesAndRowRanges(GgmlType type) {
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofConfined()) {
            for (int k : KS) {
                for (int n : NS) {
                    Tensor t = tensor(arena, type, n, k, rnd);
                    RowGroupMatrix w = RowGroupMatrix.of(t, arena);
                    assertArrayEquals(TensorMatrix.of(t).dequantizeAll(), w.dequantizeAll()); // so w's reference is t's
                    for (int m : PackedMatrixChecks.MS) {
                        PackedMatrixChecks.check(w, m, 0, n, rnd, type + " grouped");
                        PackedMatrixChecks.check(w, m, 1, n - 1, rnd, type + " grouped"); // range ends not multiples of four
                        PackedMatrixChecks.check(w, m, 3, Math.min(n, 5 + n / 2), rnd, type + " grouped");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void holdsTheSameValuesAndBytesAsTheGgufTensor(GgmlType type) {
        Random rnd = new Random(6);
        try (Arena arena = Arena.ofConfined()) {
            for (int k : KS) {
                Tensor t = tensor(arena, type, 9, k, rnd);
                RowGroupMatrix w = RowGroupMatrix.of(t, arena);
                long blocks = 9L * Math.ceilDiv(k, type.blockSize());
                long grows = switch (type) { // per super-block, unpacked: Q4_K's heads 16 -> 24 bytes, Q6_K's 210 -> 276 bytes
                    case Q4_K -> 8;
                    case Q6_K -> 66;
                    default -> 0;
                };
                assertEquals(t.byteSize() + grows * blocks, w.byteSize());
                assertEquals(t.byteSize(), w.formatBytes(), "bits per weight are the GGUF type's");
                assertEquals(type.name().toLowerCase(), w.format());
                PackedMatrixChecks.rowsMatch(TensorMatrix.of(t), w, "k=" + k);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void slicesHoldTheSlicedValues(GgmlType type) {
        Random rnd = new Random(8);
        try (Arena arena = Arena.ofConfined()) {
            int n = 11, k = type.blockSize() * 5 + 12; // a partial last block
            Tensor t = tensor(arena, type, n, k, rnd);
            RowGroupMatrix w = RowGroupMatrix.of(t, arena);
            PackedMatrixChecks.slicesMatch(w, arena, rnd); // rows from 3: a copy, not a group's start
            float[] all = w.dequantizeAll();
            for (int[] r : new int[][] {{4, 7}, {8, 3}}) { // views, their last group partial
                WeightMatrix rows = w.sliceRows(r[0], r[1]);
                assertArrayEquals(Arrays.copyOfRange(all, r[0] * k, (r[0] + r[1]) * k), rows.dequantizeAll());
                PackedMatrixChecks.kernelMatchesReference(rows, rnd);
            }
            assertThrows(IllegalArgumentException.class, () -> w.sliceColumns(16, 32, arena));
            assertThrows(IllegalArgumentException.class, () -> RowGroupMatrix.of(
                    Quantize.quantize(arena, "f", GgmlType.F16, new float[64], 0, 2, 32), arena));
        }
    }
}
