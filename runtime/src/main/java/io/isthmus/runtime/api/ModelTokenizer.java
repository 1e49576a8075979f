package io.isthmus.runtime.api;

import io.isthmus.runtime.format.GgufFile;
import io.isthmus.runtime.format.ModelFormatException;
import io.isthmus.runtime.format.QuantizedFile;
import io.isthmus.runtime.format.QuantizedFileWriter;
import io.isthmus.runtime.tokenizer.Tokenizer;
import io.isthmus.runtime.tokenizer.TokenizerSource;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds a model's tokenizer: its own (GGUF vocabulary, HF tokenizer.json, the one stored in a
 * quantized file) or the file named in the yaml; and stores one in a quantized file.
 */
final class ModelTokenizer {
    /** Metadata key naming the kind of the stored tokenizer, and the blob holding it. */
    static final String KIND_KEY = "isthmus.tokenizer";
    static final String BLOB = "tokenizer";
    static final String CONFIG_KEY = "isthmus.tokenizer_config";
    static final String CONFIG_BLOB = "tokenizer_config";

    private ModelTokenizer() {
    }

    static Tokenizer load(Path model, Path override, int modelVocab) {
        return load(source(model, override), model, override, modelVocab);
    }

    /** The tokenizer {@code source} describes, checked against the model's vocabulary size. */
    static Tokenizer load(TokenizerSource source, Path model, Path override, int modelVocab) {
        Tokenizer t = source.load(modelVocab);
        if (t.vocabSize() != modelVocab) {
            throw new ModelFormatException(model + ": the tokenizer has " + t.vocabSize() + " tokens but the model's"
                    + " embedding has " + modelVocab + (override != null ? " (tokenizer " + override + ")" : ""));
        }
        return t;
    }

    /** The bytes the tokenizer of {@code model} (or {@code override}) is built from. */
    static TokenizerSource source(Path model, Path override) {
        if (override != null) {
            return TokenizerSource.ofFile(override);
        }
        if (QuantizedFile.is(model)) {
            return stored(model);
        }
        Path folder = Files.isDirectory(model) ? model
                : model.getFileName().toString().endsWith(".safetensors") ? model.toAbsolutePath().getParent() : null;
        if (folder != null) {
            Path json = folder.resolve("tokenizer.json");
            if (!Files.exists(json)) {
                throw new ModelFormatException(folder + ": no tokenizer.json in the model folder");
            }
            return TokenizerSource.ofFile(json);
        }
        if (GgufFile.isGguf(model)) {
            return TokenizerSource.ofFile(model);
        }
        Path sibling = model.resolveSibling("tokenizer.bin");
        if (!Files.exists(sibling)) {
            throw new ModelFormatException(model + ": a llama2.c checkpoint carries no tokenizer; name one with"
                    + " 'tokenizer:' in model.yaml or --tokenizer");
        }
        return TokenizerSource.ofFile(sibling);
    }

    /** Stores {@code source} in a quantized file being written. */
    static void store(QuantizedFileWriter writer, TokenizerSource source) {
        writer.blob(BLOB, KIND_KEY, source.kind().id(), source.data());
        if (source.config() != null) {
            writer.blob(CONFIG_BLOB, CONFIG_KEY, "tokenizer_config.json", source.config());
        }
    }

    private static TokenizerSource stored(Path file) {
        QuantizedFile.Blob blob = QuantizedFile.blob(file, KIND_KEY, BLOB).orElseThrow(() -> new ModelFormatException(
                file + ": the quantized file stores no tokenizer (metadata '" + KIND_KEY + "'); name one with --tokenizer"));
        TokenizerSource.Kind kind;
        try {
            kind = TokenizerSource.Kind.byId(blob.description());
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": metadata '" + KIND_KEY + "': " + e.getMessage());
        }
        byte[] config = QuantizedFile.blob(file, CONFIG_KEY, CONFIG_BLOB).map(QuantizedFile.Blob::data).orElse(null);
        return new TokenizerSource(kind, file, blob.data(), config);
    }
}
