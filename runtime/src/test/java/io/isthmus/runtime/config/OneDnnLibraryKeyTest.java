package io.isthmus.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model.yaml key {@code onednn_library} and {@code format: int8}. */
class OneDnnLibraryKeyTest {
    @TempDir
    Path dir;

    private Path yaml(String text) throws IOException {
        Files.write(dir.resolve("tiny.gguf"), new byte[] {1});
        return Files.writeString(dir.resolve("model.yaml"), "model: tiny.gguf\n" + text);
    }

    @Test
    void libraryPathIsResolvedAgainstTheYaml() throws IOException {
        Files.write(dir.resolve("libdnnl.so.3"), new byte[] {1});
        ModelSpec spec = ModelSpecParser.parse(yaml("onednn_library: libdnnl.so.3\nformat: int8\n"));
        assertEquals(Optional.of(dir.resolve("libdnnl.so.3").toAbsolutePath().normalize()), spec.onednnLibrary());
        assertEquals("int8", spec.format().orElseThrow().spec());
        assertEquals(Optional.empty(), ModelSpecParser.parse(yaml("")).onednnLibrary());
    }

    @Test
    void aMissingLibraryIsAnErrorNamingTheKey() throws IOException {
        Path file = yaml("onednn_library: nowhere/libdnnl.so.3\n");
        String message = assertThrows(ConfigException.class, () -> ModelSpecParser.parse(file)).getMessage();
        assertTrue(message.contains("onednn_library") && message.contains("nowhere/libdnnl.so.3"), message);
    }
}
