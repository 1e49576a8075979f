package io.isthmus.runtime.tokenizer;

import io.isthmus.runtime.format.GgufFile;
import io.isthmus.runtime.format.ModelFormatException;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * A tokenizer as the bytes it is built from, so that it can be stored inside another file (a
 * quantized model) and rebuilt from there exactly as from its own file.
 *
 * @param kind   what the bytes are
 * @param origin the file they came from (names them in errors)
 * @param data   the tokenizer file's bytes: a vocabulary-only GGUF, a tokenizer.json or a llama2.c tokenizer.bin
 * @param config tokenizer_config.json next to a tokenizer.json, or null
 */
public record TokenizerSource(Kind kind, Path origin, byte[] data, byte[] config) {

    public enum Kind {
        /** A GGUF's {@code tokenizer.ggml.*} metadata, as a GGUF with no tensors. */
        GGUF("gguf"),
        /** A Hugging Face tokenizer.json (+ tokenizer_config.json). */
        HF_JSON("tokenizer.json"),
        /** A llama2.c tokenizer.bin. */
        LLAMA2C("tokenizer.bin");

        private final String id;

        Kind(String id) {
            this.id = id;
        }

        /** The name stored in files. */
        public String id() {
            return id;
        }

        public static Kind byId(String id) {
            for (Kind k : values()) {
                if (k.id.equals(id)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown tokenizer kind '" + id + "' (known: gguf, tokenizer.json, tokenizer.bin)");
        }
    }

    /**
     * The tokenizer in {@code file}: a GGUF (its metadata), a {@code .json} tokenizer (with the
     * tokenizer_config.json beside it, if any), else a llama2.c tokenizer.bin.
     */
    public static TokenizerSource ofFile(Path file) {
        if (GgufFile.isGguf(file)) {
            try (GgufFile g = GgufFile.open(file)) {
                return new TokenizerSource(Kind.GGUF, file, g.metadataOnly(), null);
            }
        }
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json")) {
            Path config = file.resolveSibling("tokenizer_config.json");
            return new TokenizerSource(Kind.HF_JSON, file, read(file), Files.isRegularFile(config) ? read(config) : null);
        }
        return new TokenizerSource(Kind.LLAMA2C, file, read(file), null);
    }

    /** The tokenizer these bytes describe; {@code vocabSize} is the model's (llama2.c files do not store it). */
    public Tokenizer load(int vocabSize) {
        return switch (kind) {
            case GGUF -> {
                try (GgufFile g = GgufFile.of(origin, MemorySegment.ofArray(data))) {
                    yield TokenizerLoader.fromGguf(g);
                }
            }
            case HF_JSON -> TokenizerLoader.naming(origin, () -> HuggingFaceTokenizerReader.read(origin, data, config));
            case LLAMA2C -> TokenizerLoader.naming(origin, () -> Llama2cTokenizerReader.read(origin, data, vocabSize));
        };
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file + ": file not found");
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenizerSource t && kind == t.kind && Arrays.equals(data, t.data) && Arrays.equals(config, t.config);
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "TokenizerSource[" + kind.id() + " from " + origin + ", " + data.length + " bytes]";
    }
}
