package io.isthmus.runtime.tokenizer;

import io.isthmus.runtime.format.GgufFile;
import io.isthmus.runtime.format.ModelFormatException;

import java.nio.file.Path;
import java.util.function.Supplier;

/** Builds the tokenizer a model's files describe; unreadable or unsupported files give a {@link ModelFormatException}. */
public final class TokenizerLoader {
    private TokenizerLoader() {
    }

    /** From a GGUF's {@code tokenizer.ggml.*} metadata ({@code model} llama or gpt2). */
    public static Tokenizer fromGguf(GgufFile gguf) {
        return naming(gguf.path(), () -> GgufTokenizerReader.read(gguf));
    }

    /**
     * From llama2.c's {@code tokenizer.bin}. The file does not store its size; {@code vocabSize} is the
     * checkpoint's, and the file must hold exactly that many tokens.
     */
    public static Tokenizer fromLlama2cBin(Path path, int vocabSize) {
        return naming(path, () -> Llama2cTokenizerReader.read(path, vocabSize));
    }

    /** From a Hugging Face {@code tokenizer.json} (BPE model; see {@link HuggingFaceTokenizerReader}). */
    public static Tokenizer fromHuggingFaceJson(Path path) {
        return naming(path, () -> HuggingFaceTokenizerReader.read(path));
    }

    /** Inconsistent vocabularies are reported by the tokenizers as IllegalArgumentException, without the file. */
    static Tokenizer naming(Path path, Supplier<Tokenizer> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(path + ": " + e.getMessage(), e);
        }
    }
}
