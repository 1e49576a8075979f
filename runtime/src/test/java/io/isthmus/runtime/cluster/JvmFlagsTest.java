package io.isthmus.runtime.cluster;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JvmFlagsTest {

    @Test
    void defaultMirrorsTheParentPom() throws Exception {
        Path pom = Path.of("..", "pom.xml");
        Matcher m = Pattern.compile("<isthmus.jvm.flags>(.*?)</isthmus.jvm.flags>")
                .matcher(Files.readString(pom));
        assertTrue(m.find(), "parent pom defines isthmus.jvm.flags");
        assertEquals(m.group(1).trim(), String.join(" ", JvmFlags.DEFAULT));
    }
}
