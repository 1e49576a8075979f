package io.isthmus.runtime.cluster;

import java.util.Arrays;
import java.util.List;

/** The JVM flags every Isthmus JVM needs; a worker is started with them. */
public final class JvmFlags {

    /** Mirrors the parent pom's {@code isthmus.jvm.flags} (JvmFlagsTest keeps the two equal). */
    public static final List<String> DEFAULT = List.of(
            "--add-modules", "jdk.incubator.vector",
            "--enable-native-access=ALL-UNNAMED",
            "-Dchronicle.analytics.disable=true",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
            "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow");

    /** System property that overrides {@link #DEFAULT} (space-separated), as Maven sets it for tests. */
    public static final String PROPERTY = "isthmus.jvm.flags";

    private JvmFlags() {
    }

    /** The {@value #PROPERTY} system property when set, else {@link #DEFAULT}. */
    public static List<String> current() {
        String flags = System.getProperty(PROPERTY);
        if (flags == null || flags.isBlank()) {
            return DEFAULT;
        }
        return Arrays.asList(flags.trim().split("\\s+"));
    }
}
