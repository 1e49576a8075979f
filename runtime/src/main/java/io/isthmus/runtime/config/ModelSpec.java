package io.isthmus.runtime.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What to run and how, as read from a model.yaml ({@link ModelSpecParser}) or made from a bare
 * model path ({@link #ofModelPath}). Paths are absolute.
 *
 * @param source         the yaml it came from, if any
 * @param model          model file or folder
 * @param tokenizer      separate tokenizer file, for models that carry none
 * @param format         weight format to quantize to at load; absent keeps the file's own
 * @param tensorParallel number of ranks; absent means {@code auto} (one rank per socket)
 * @param threads        compute threads per rank; absent means the rank's cores
 * @param kvCache        KV cache settings
 * @param generation     generation defaults
 * @param server         present when the job serves HTTP
 * @param onednnLibrary  a libdnnl to load instead of the bundled one (ISTHMUS_ONEDNN_LIB wins over it)
 */
public record ModelSpec(Optional<Path> source, Path model, Optional<Path> tokenizer, Optional<FormatSpec> format,
                        OptionalInt tensorParallel, OptionalInt threads, KvCacheSpec kvCache,
                        GenerationSpec generation, Optional<ServerSpec> server, Optional<Path> onednnLibrary) {

    public ModelSpec {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(kvCache, "kvCache");
        Objects.requireNonNull(generation, "generation");
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(onednnLibrary, "onednnLibrary");
        if (tensorParallel.isPresent() && tensorParallel.getAsInt() <= 0) {
            throw new IllegalArgumentException("tensor_parallel must be positive, got " + tensorParallel.getAsInt());
        }
        if (threads.isPresent() && threads.getAsInt() <= 0) {
            throw new IllegalArgumentException("threads must be positive, got " + threads.getAsInt());
        }
    }

    /** A spec with every default, for a model file or folder given directly instead of a yaml. */
    public static ModelSpec ofModelPath(Path model) {
        Path absolute = model.toAbsolutePath().normalize();
        if (!Files.exists(absolute)) {
            throw new ConfigException("model file not found: " + absolute);
        }
        return new ModelSpec(Optional.empty(), absolute, Optional.empty(), Optional.empty(), OptionalInt.empty(),
                OptionalInt.empty(), KvCacheSpec.DEFAULT, GenerationSpec.DEFAULT, Optional.empty(), Optional.empty());
    }

    /** The same spec converting weights to {@code format} at load. */
    public ModelSpec withFormat(FormatSpec format) {
        return new ModelSpec(source, model, tokenizer, Optional.of(format), tensorParallel, threads, kvCache, generation,
                server, onednnLibrary);
    }
}
