package io.isthmus.runtime.format;

import io.isthmus.runtime.tensor.Tensor;
import io.isthmus.runtime.testing.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static io.isthmus.runtime.format.SafetensorsFileTest.assertMessage;
import static org.junit.jupiter.api.Assertions.*;

class Llama2cCheckpointTest {
    static final String STORIES_BIN = "models/stories260K/stories260K.bin";

    @Test
    void readsVersion0Header() {
        try (Llama2cCheckpoint c = Llama2cCheckpoint.open(SharedFiles.require(STORIES_BIN))) {
            assertEquals(new Llama2cCheckpoint.Header(0, 64, 172, 5, 8, 4, 512, 512, true), c.header());
            assertEquals(1 + 1 + 5 * 9, c.tensors().size());
            Tensor wk = c.tensors().get("layers.4.wk");
            assertArrayEquals(new long[]{64, 32}, wk.shape());
            // wk of the last layer ends right before wv of layer 0 (arrays are per kind, then per layer).
            Tensor wv0 = c.tensors().get("layers.0.wv");
            assertEquals(wk.data().address() + wk.byteSize(), wv0.data().address());
            assertNull(c.tensors().get("wcls"));
        }
    }

    @Test
    void truncatedFileNamesFileAndSizes(@TempDir Path dir) throws Exception {
        byte[] all = Files.readAllBytes(SharedFiles.require(STORIES_BIN));
        Path cut = Files.write(dir.resolve("cut.bin"), Arrays.copyOf(all, all.length - 100));
        assertMessage(assertThrows(ModelFormatException.class, () -> Llama2cCheckpoint.open(cut)),
                "cut.bin", "truncated", "1056540", String.valueOf(all.length - 100));
    }

    @Test
    void version1WithSeparateClassifierHasTheSameTensors(@TempDir Path dir) throws Exception {
        Path v1 = dir.resolve("v1.bin");
        try (Llama2cCheckpoint v0 = Llama2cCheckpoint.open(SharedFiles.require(STORIES_BIN))) {
            Files.write(v1, version1(v0));
            try (Llama2cCheckpoint c = Llama2cCheckpoint.open(v1)) {
                assertEquals(new Llama2cCheckpoint.Header(1, 64, 172, 5, 8, 4, 512, 512, false), c.header());
                assertEquals(v0.tensors().size() + 1, c.tensors().size());
                for (Tensor t : v0.tensors().values()) {
                    assertArrayEquals(t.shape(), c.tensors().get(t.name()).shape(), t.name());
                    assertEquals(-1, t.data().mismatch(c.tensors().get(t.name()).data()), t.name());
                }
                assertEquals(-1, c.tensors().get("wcls").data().mismatch(v0.tensors().get("token_embedding_table").data()));
            }
        }
    }

    /** Re-writes a version-0 checkpoint in version 1's order, with the classifier stored separately. */
    private static byte[] version1(Llama2cCheckpoint v0) {
        Llama2cCheckpoint.Header h = v0.header();
        ByteBuffer head = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN).putInt(0x616b3432).putInt(1);
        for (int v : new int[]{h.dim(), h.hiddenDim(), h.layers(), h.heads(), h.kvHeads(), h.vocabSize(), h.seqLen()}) {
            head.putInt(v);
        }
        head.put((byte) 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.array());
        List<String> order = List.of("rms_att_weight", "rms_ffn_weight", "", "wq", "wk", "wv", "wo", "w1", "w2", "w3");
        for (String kind : order) {
            if (kind.isEmpty()) {
                write(out, v0, "rms_final_weight");
                write(out, v0, "token_embedding_table");
                continue;
            }
            for (int l = 0; l < h.layers(); l++) {
                write(out, v0, "layers." + l + "." + kind);
            }
        }
        write(out, v0, "token_embedding_table");
        return out.toByteArray();
    }

    private static void write(ByteArrayOutputStream out, Llama2cCheckpoint c, String name) {
        out.writeBytes(c.tensors().get(name).data().toArray(ValueLayout.JAVA_BYTE));
    }
}
