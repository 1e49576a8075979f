package io.isthmus.runtime.api;

import io.isthmus.runtime.format.GgufFile;
import io.isthmus.runtime.format.ModelFormatException;
import io.isthmus.runtime.tokenizer.Tokenizer;
import io.isthmus.runtime.tokenizer.TokenizerLoader;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds a model's tokenizer: its own (GGUF vocabulary, HF tokenizer.json) or the file named in the yaml. */
final class ModelTokenizer {
    private ModelTokenizer() {
    }

    static Tokenizer load(Path model, Path override, int modelVocab) {
        Tokenizer t;
        if (override != null) {
            t = fromFile(override, modelVocab);
        } else if (Files.isDirectory(model)) {
            Path json = model.resolve("tokenizer.json");
            if (!Files.exists(json)) {
                throw new ModelFormatException(model + ": no tokenizer.json in the model folder");
            }
            t = TokenizerLoader.fromHuggingFaceJson(json);
        } else if (GgufFile.isGguf(model)) {
            try (GgufFile g = GgufFile.open(model)) {
                t = TokenizerLoader.fromGguf(g);
            }
        } else {
            Path sibling = model.resolveSibling("tokenizer.bin");
            if (!Files.exists(sibling)) {
                throw new ModelFormatException(model + ": a llama2.c checkpoint carries no tokenizer; name one with"
                        + " 'tokenizer:' in model.yaml or --tokenizer");
            }
            t = TokenizerLoader.fromLlama2cBin(sibling, modelVocab);
        }
        if (t.vocabSize() != modelVocab) {
            throw new ModelFormatException(model + ": the tokenizer has " + t.vocabSize() + " tokens but the model's"
                    + " embedding has " + modelVocab + (override != null ? " (tokenizer " + override + ")" : ""));
        }
        return t;
    }

    private static Tokenizer fromFile(Path file, int modelVocab) {
        String name = file.getFileName().toString();
        if (name.endsWith(".json")) {
            return TokenizerLoader.fromHuggingFaceJson(file);
        }
        if (GgufFile.isGguf(file)) {
            try (GgufFile g = GgufFile.open(file)) {
                return TokenizerLoader.fromGguf(g);
            }
        }
        return TokenizerLoader.fromLlama2cBin(file, modelVocab);
    }
}
