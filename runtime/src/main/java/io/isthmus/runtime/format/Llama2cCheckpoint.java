package io.isthmus.runtime.format;

import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A karpathy llama2.c float32 checkpoint, memory-mapped, in either layout:
 * <ul>
 *   <li>version 0 (legacy): 7 int32 header {@code dim, hidden_dim, n_layers, n_heads, n_kv_heads,
 *       vocab_size, seq_len} (negative vocab_size = separate classifier), then token embedding,
 *       rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, two unused RoPE tables of
 *       {@code seq_len × head_dim/2}, and the classifier when not shared;</li>
 *   <li>version 1: magic "ak42", int32 version 1, the same 7 ints, a shared-classifier byte, zero
 *       padding to 256 bytes, then rms_att, rms_ffn, rms_final, token embedding, wq, wk, wv, wo,
 *       w1, w2, w3 and the classifier when not shared (no RoPE tables).</li>
 * </ul>
 * Tensors are zero-copy per-layer slices named after run.c's fields: {@code token_embedding_table},
 * {@code rms_final_weight}, {@code wcls} (only when not shared), and {@code layers.N.rms_att_weight},
 * {@code .wq}, {@code .wk}, {@code .wv}, {@code .wo}, {@code .rms_ffn_weight}, {@code .w1}, {@code .w2},
 * {@code .w3}.
 */
public final class Llama2cCheckpoint implements AutoCloseable {
    private static final int MAGIC_V1 = 0x616b3432; // "ak42"
    private static final int V1_HEADER_BYTES = 256;

    /** The header; {@code vocabSize} is always positive, the sign having become {@code sharedClassifier}. */
    public record Header(int version, int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize,
                         int seqLen, boolean sharedClassifier) {
        public int headDim() {
            return dim / heads;
        }
    }

    private final MappedFile file;
    private final Header header;
    private final Map<String, Tensor> tensors;

    private Llama2cCheckpoint(MappedFile file, Header header, Map<String, Tensor> tensors) {
        this.file = file;
        this.header = header;
        this.tensors = tensors;
    }

    public static Llama2cCheckpoint open(Path path) {
        MappedFile file = MappedFile.open(path);
        try {
            Header h = header(file);
            return new Llama2cCheckpoint(file, h, Collections.unmodifiableMap(slice(file, h)));
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static Header header(MappedFile file) {
        Path path = file.path();
        ByteCursor in = new ByteCursor(file.segment(), path, 0);
        int first = in.i32("llama2.c header");
        int version = 0;
        if (first == MAGIC_V1) {
            version = in.i32("llama2.c version");
            if (version != 1) {
                throw new ModelFormatException(path + ": unsupported llama2.c checkpoint version " + version
                        + " (supported: 0 and 1, float32)");
            }
        } else {
            in.position(0);
        }
        int[] h = new int[7];
        for (int i = 0; i < h.length; i++) {
            h[i] = in.i32("llama2.c header");
        }
        boolean shared = version == 1 ? in.i8("shared classifier flag") != 0 : h[5] > 0;
        Header header = new Header(version, h[0], h[1], h[2], h[3], h[4], Math.abs(h[5]), h[6], shared);
        if (header.dim <= 0 || header.hiddenDim <= 0 || header.layers <= 0 || header.heads <= 0 || header.kvHeads <= 0
                || header.vocabSize <= 0 || header.seqLen <= 0 || header.dim % header.heads != 0
                || header.heads % header.kvHeads != 0) {
            throw new ModelFormatException(path + ": not a llama2.c checkpoint (implausible header " + header + ")");
        }
        return header;
    }

    /** Walks the arrays in file order, checking the file size first. */
    private static Map<String, Tensor> slice(MappedFile file, Header h) {
        long kvDim = (long) h.kvHeads * h.headDim();
        long layerFloats = 2L * h.dim + (long) h.dim * h.dim * 2 + kvDim * h.dim * 2 + 3L * h.dim * h.hiddenDim;
        long ropeFloats = h.version == 0 ? (long) h.seqLen * h.headDim() : 0;
        long floats = (long) h.vocabSize * h.dim * (h.sharedClassifier ? 1 : 2) + h.layers * layerFloats + h.dim
                + ropeFloats;
        long start = h.version == 1 ? V1_HEADER_BYTES : 7 * 4;
        long expected = start + floats * 4;
        long actual = file.segment().byteSize();
        if (actual != expected) {
            throw new ModelFormatException(file.path() + ": " + (actual < expected ? "truncated" : "corrupt (too long)")
                    + " llama2.c checkpoint: header " + h + " means " + expected + " bytes, the file has " + actual);
        }
        Slicer s = new Slicer(file.segment(), start, h.layers);
        if (h.version == 1) {
            s.perLayer("rms_att_weight", h.dim);
            s.perLayer("rms_ffn_weight", h.dim);
            s.add("rms_final_weight", h.dim);
            s.add("token_embedding_table", h.dim, h.vocabSize);
        } else {
            s.add("token_embedding_table", h.dim, h.vocabSize);
            s.perLayer("rms_att_weight", h.dim);
        }
        s.perLayer("wq", h.dim, h.dim);
        s.perLayer("wk", h.dim, kvDim);
        s.perLayer("wv", h.dim, kvDim);
        s.perLayer("wo", h.dim, h.dim);
        if (h.version == 0) {
            s.perLayer("rms_ffn_weight", h.dim);
        }
        s.perLayer("w1", h.dim, h.hiddenDim);
        s.perLayer("w2", h.hiddenDim, h.dim);
        s.perLayer("w3", h.dim, h.hiddenDim);
        if (h.version == 0) {
            s.add("rms_final_weight", h.dim);
            s.skip(ropeFloats);
        }
        if (!h.sharedClassifier) {
            s.add("wcls", h.dim, h.vocabSize);
        }
        return s.tensors;
    }

    /** Cuts consecutive f32 arrays off the mapping. */
    private static final class Slicer {
        final Map<String, Tensor> tensors = new LinkedHashMap<>();
        final MemorySegment seg;
        final int layers;
        long pos;

        Slicer(MemorySegment seg, long pos, int layers) {
            this.seg = seg;
            this.pos = pos;
            this.layers = layers;
        }

        /** {@code layers} arrays of the given ggml shape, stored one after another. */
        void perLayer(String name, long... shape) {
            for (int l = 0; l < layers; l++) {
                add("layers." + l + "." + name, shape);
            }
        }

        /** One array of the given ggml shape ({@code {n}} or {@code {cols, rows}}). */
        void add(String name, long... shape) {
            long floats = shape.length == 1 ? shape[0] : shape[0] * shape[1];
            tensors.put(name, new Tensor(name, GgmlType.F32, shape, seg.asSlice(pos, floats * 4)));
            pos += floats * 4;
        }

        void skip(long floats) {
            pos += floats * 4;
        }
    }

    public Path path() {
        return file.path();
    }

    public Header header() {
        return header;
    }

    public Map<String, Tensor> tensors() {
        return tensors;
    }

    @Override
    public void close() {
        file.close();
    }
}
