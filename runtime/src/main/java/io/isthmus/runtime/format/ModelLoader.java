package io.isthmus.runtime.format;

import io.isthmus.runtime.model.ModelWeights;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Opens a model from any supported source and presents it under llama.cpp's canonical tensor names:
 * Isthmus's own quantized {@code .safetensors} file ({@link QuantizedFile}), a Hugging Face folder (or
 * a {@code .safetensors} / index file inside one), a GGUF file, or else a llama2.c checkpoint. Tensor shapes are checked against the config before the model is returned.
 */
public final class ModelLoader {
    private ModelLoader() {
    }

    public static ModelWeights load(Path path) {
        Path p = path.toAbsolutePath().normalize();
        String name = p.getFileName().toString();
        if (name.endsWith(".safetensors") && QuantizedFile.is(p)) {
            return build(SafetensorsFile.open(p), QuantizedModels::weights);
        }
        if (name.endsWith(".safetensors") || name.equals(HuggingFaceFolder.INDEX)) {
            p = p.getParent();
        }
        if (Files.isDirectory(p)) {
            return build(HuggingFaceFolder.open(p), HuggingFaceModels::weights);
        }
        if (GgufFile.isGguf(p)) {
            return build(GgufFile.open(p), GgufModels::weights);
        }
        return build(Llama2cCheckpoint.open(p), Llama2cModels::weights);
    }

    private static <R extends AutoCloseable> ModelWeights build(R reader, Function<R, ModelWeights> builder) {
        try {
            ModelWeights weights = builder.apply(reader);
            WeightShapes.check(weights);
            return weights;
        } catch (RuntimeException e) {
            try {
                reader.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }
}
