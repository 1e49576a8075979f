package io.isthmus.runtime.onednn;

import io.isthmus.numa.CpuSet;
import io.isthmus.runtime.api.Engine;
import io.isthmus.runtime.api.EngineOptions;
import io.isthmus.runtime.api.GenerationRequest;
import io.isthmus.runtime.cluster.JvmFlags;
import io.isthmus.runtime.config.FormatSpec;
import io.isthmus.runtime.config.ModelSpec;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading oneDNN, and running on without it when ISTHMUS_ONEDNN_LIB points at nothing. */
class OneDnnLoaderTest {
    private static final Path MODEL = Path.of("../examples/models/stories260K.gguf").toAbsolutePath().normalize();

    @Test
    void aMissingLibraryIsOneLineNamingItAndNothingIsLoaded() {
        OneDnn.Attempt a = OneDnn.load(Path.of("/nonexistent/libdnnl.so.3"), CpuSet.of(0));
        assertNull(a.oneDnn());
        assertTrue(a.failure().contains("/nonexistent/libdnnl.so.3") && a.failure().contains("Vector API"), a.failure());
        assertEquals(1, a.failure().lines().count(), a.failure());
    }

    @Test
    void aFileThatIsNoLibraryIsReportedTheSameWay() throws IOException {
        Path fake = Files.createTempFile("libdnnl", ".so.3");
        try {
            Files.writeString(fake, "not an ELF file");
            OneDnn.Attempt a = OneDnn.load(fake, CpuSet.of(0));
            assertNull(a.oneDnn());
            assertTrue(a.failure().startsWith("oneDNN unavailable (") && a.failure().contains(fake.toString()), a.failure());
        } finally {
            Files.delete(fake);
        }
    }

    @Test
    void withIsthmusOnednnLibPointingAtNothingGenerationRunsWithOneWarning() throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow()));
        command.addAll(JvmFlags.current());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), OneDnnFallbackProbe.class.getName(),
                MODEL.toString()));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("ISTHMUS_ONEDNN_LIB", "/nonexistent");
        Path err = Files.createTempFile("probe", ".err");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "probe did not finish");
        String stderr = Files.readString(err);
        Files.delete(err);
        assertEquals(0, p.exitValue(), stderr);
        long warnings = stderr.lines().filter(l -> l.contains("oneDNN unavailable")).count();
        assertEquals(1, warnings, stderr);
        assertTrue(stderr.contains("/nonexistent"), stderr);

        String expected;
        System.setProperty("isthmus.onednn", "off");
        try (Engine engine = Engine.open(ModelSpec.ofModelPath(MODEL).withFormat(FormatSpec.parse("bf16")),
                EngineOptions.defaults().withThreads(2).withWarmUpMillis(0))) {
            expected = "tokens " + Arrays.toString(engine.generate(GenerationRequest.of("Once upon a time")
                    .withMaxTokens(16)).tokenIds());
        } finally {
            System.clearProperty("isthmus.onednn");
        }
        assertEquals(expected, out.strip(), "the fallback generates what the Vector API kernels do");
    }
}
