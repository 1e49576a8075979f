package io.isthmus.runtime.format;

import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class SafetensorsFileTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static SafetensorsWriter sample() {
        return new SafetensorsWriter()
                .meta("format", "pt")
                .putF32("w", new long[]{2, 3}, new float[]{1, 2, 3, 4, 5, 6})
                .put("h", "F16", new long[]{4}, new byte[]{0, 0x3c, 0, 0x40, 0, 0x42, 0, 0x44})
                .put("ids", "I64", new long[]{1}, new byte[8]);
    }

    @Test
    void readsShapesInGgmlOrderWithoutCopying(@TempDir Path dir) throws Exception {
        Path p = sample().write(dir.resolve("a.safetensors"));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals("pt", f.metadata().get("format"));
            assertEquals(java.util.List.of("w", "h", "ids"), java.util.List.copyOf(f.names()));
            Tensor w = f.tensor("w");
            assertEquals(GgmlType.F32, w.type());
            assertArrayEquals(new long[]{3, 2}, w.shape());
            assertEquals(3, w.cols());
            assertEquals(2, w.rows());
            assertEquals(6f, w.data().get(F32, 5 * 4));
            assertTrue(w.data().isMapped(), "tensor should be a view of the mapping");
            Tensor h = f.tensor("h");
            assertEquals(GgmlType.F16, h.type());
            assertEquals(2.0f, Float.float16ToFloat(h.data().get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2)));
            assertEquals("I64", f.dtype("ids"));
        }
    }

    @Test
    void unsupportedDtypeIsAnErrorWhenRequested(@TempDir Path dir) throws Exception {
        Path p = sample().write(dir.resolve("a.safetensors"));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            var e = assertThrows(ModelFormatException.class, () -> f.tensor("ids"));
            assertMessage(e, "a.safetensors", "'ids'", "I64");
        }
    }

    @Test
    void headerLengthBeyondFile(@TempDir Path dir) throws Exception {
        byte[] bytes = sample().bytes(sample().header());
        bytes[5] = 1; // header length now ~2^40
        Path p = Files.write(dir.resolve("big.safetensors"), bytes);
        assertMessage(assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(p)), "big.safetensors", "header length");
        Path empty = Files.write(dir.resolve("empty.safetensors"), new byte[3]);
        assertMessage(assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(empty)), "empty.safetensors", "truncated");
    }

    @Test
    void badJson(@TempDir Path dir) throws Exception {
        String header = sample().header();
        Path p = sample().write(dir.resolve("json.safetensors"), header.substring(0, header.length() - 1) + ",");
        assertMessage(assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(p)), "json.safetensors", "JSON");
        Path q = sample().write(dir.resolve("entry.safetensors"), "{\"w\": {\"dtype\": \"F32\"}}");
        assertMessage(assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(q)), "entry.safetensors", "'w'");
    }

    @Test
    void truncatedData(@TempDir Path dir) throws Exception {
        byte[] bytes = sample().bytes(sample().header());
        Path p = Files.write(dir.resolve("cut.safetensors"), Arrays.copyOf(bytes, bytes.length - 4));
        // "ids" is the last tensor, so it is the one whose data no longer fits.
        assertMessage(assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(p)),
                "cut.safetensors", "'ids'", "outside the data area");
    }

    @Test
    void offsetsNotMatchingShape(@TempDir Path dir) throws Exception {
        String header = sample().header().replace("\"shape\":[2,3]", "\"shape\":[2,2]");
        Path p = sample().write(dir.resolve("shape.safetensors"), header);
        assertMessage(assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(p)),
                "shape.safetensors", "'w'", "needs 16");
    }

    static void assertMessage(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "'" + part + "' not in: " + e.getMessage());
        }
    }
}
