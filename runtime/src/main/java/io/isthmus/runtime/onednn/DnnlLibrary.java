package io.isthmus.runtime.onednn;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Properties;

/**
 * Where libdnnl comes from. By default from the bytedeco {@code dnnl} and {@code opencl} platform
 * jars on the class path (Maven Central): at first use libdnnl.so.3, libgomp.so.1 and
 * libOpenCL.so.1 are extracted side by side into a cache folder named after the jars' versions
 * ({@code $XDG_CACHE_HOME/isthmus/onednn/<versions>}, else {@code ~/.cache/...}); libdnnl's RUNPATH
 * ({@code $ORIGIN}) then finds the other two. {@code ISTHMUS_ONEDNN_LIB} (or the model.yaml key
 * {@code onednn_library}) names another libdnnl instead.
 */
final class DnnlLibrary {
    static final String ENV_LIBRARY = "ISTHMUS_ONEDNN_LIB";

    private static final String DNNL_DIR = "org/bytedeco/dnnl/linux-x86_64/";
    private static final String OPENCL_DIR = "org/bytedeco/opencl/linux-x86_64/";
    private static final List<String> FILES = List.of(
            DNNL_DIR + "libgomp.so.1", OPENCL_DIR + "libOpenCL.so.1", DNNL_DIR + "libdnnl.so.3");

    private DnnlLibrary() {
    }

    /**
     * The library file to load: {@code configured} when given, else the one extracted from the
     * class path. Throws {@link IllegalStateException} saying what is missing.
     */
    static Path locate(Path configured) {
        if (configured != null) {
            if (!Files.isRegularFile(configured)) {
                throw new IllegalStateException("no oneDNN library at " + configured);
            }
            return configured;
        }
        return extractFromClassPath();
    }

    /** dlopen()s the library (its dependencies through its RUNPATH or the system's search path). */
    static SymbolLookup open(Path library) {
        return SymbolLookup.libraryLookup(library, Arena.global());
    }

    private static Path extractFromClassPath() {
        ClassLoader loader = DnnlLibrary.class.getClassLoader();
        String versions = "dnnl-" + version(loader, "dnnl") + "_opencl-" + version(loader, "opencl");
        Path folder = cacheRoot().resolve("isthmus").resolve("onednn").resolve(versions);
        try {
            Files.createDirectories(folder);
            Path library = null;
            for (String resource : FILES) {
                URL url = loader.getResource(resource);
                if (url == null) {
                    throw new IllegalStateException("the class path has no " + resource
                            + " (the org.bytedeco dnnl/opencl linux-x86_64 jars)");
                }
                library = extract(url, folder.resolve(resource.substring(resource.lastIndexOf('/') + 1)));
            }
            return library;
        } catch (IOException e) {
            throw new IllegalStateException("cannot extract oneDNN into " + folder + ": " + e.getMessage(), e);
        }
    }

    /** Copies the resource unless a file of the same size is there; concurrent JVMs each write a temp file and rename it. */
    private static Path extract(URL url, Path target) throws IOException {
        URLConnection connection = url.openConnection();
        long size = connection.getContentLengthLong();
        if (Files.isRegularFile(target) && Files.size(target) == size) {
            return target;
        }
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
        try (InputStream in = connection.getInputStream()) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    private static String version(ClassLoader loader, String artifact) {
        String resource = "META-INF/maven/org.bytedeco/" + artifact + "/pom.properties";
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static Path cacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg);
        }
        return Path.of(System.getProperty("user.home"), ".cache");
    }
}
