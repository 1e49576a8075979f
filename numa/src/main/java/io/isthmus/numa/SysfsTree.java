package io.isthmus.numa;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the few sysfs files the topology needs, below a root that tests point at a recorded tree.
 * Every parse error names the file, so a bad tree says where it is bad.
 */
final class SysfsTree {

    static final String CPU_DIR = "sys/devices/system/cpu";
    static final String NODE_DIR = "sys/devices/system/node";

    private static final Pattern NODE_NAME = Pattern.compile("node(\\d+)");
    private static final Pattern MEM_TOTAL = Pattern.compile("MemTotal:\\s*(\\d+)\\s*kB");

    private final Path root;

    SysfsTree(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    Path path(String relative) {
        return root.resolve(relative);
    }

    /** The file's text, or empty when the file does not exist. */
    Optional<String> readOptional(String relative) {
        Path p = path(relative);
        try {
            return Optional.of(Files.readString(p));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }

    String readRequired(String relative) {
        return readOptional(relative).orElseThrow(
                () -> new IllegalStateException("missing sysfs file " + path(relative)));
    }

    int readInt(String relative) {
        String text = readRequired(relative).strip();
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw malformed(relative, "'" + text + "' is not an integer");
        }
    }

    CpuSet readList(String relative) {
        return parseList(relative, readRequired(relative));
    }

    Optional<CpuSet> readOptionalList(String relative) {
        return readOptional(relative).map(text -> parseList(relative, text));
    }

    /** MemTotal of a node's meminfo in bytes; empty when the file is absent. */
    OptionalLong readNodeMemTotal(int node) {
        String relative = NODE_DIR + "/node" + node + "/meminfo";
        Optional<String> text = readOptional(relative);
        if (text.isEmpty()) {
            return OptionalLong.empty();
        }
        Matcher m = MEM_TOTAL.matcher(text.get());
        if (!m.find()) {
            throw malformed(relative, "no 'MemTotal: N kB' line");
        }
        try {
            return OptionalLong.of(Math.multiplyExact(Long.parseLong(m.group(1)), 1024L));
        } catch (NumberFormatException | ArithmeticException e) {
            throw malformed(relative, "MemTotal '" + m.group(1) + "' out of range");
        }
    }

    /** The ids of the nodeN directories, ascending; empty when the kernel has no NUMA support. */
    List<Integer> nodeIds() {
        Path dir = path(NODE_DIR);
        List<Integer> ids = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return ids;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path e : entries) {
                Matcher m = NODE_NAME.matcher(e.getFileName().toString());
                if (m.matches() && Files.isDirectory(e)) {
                    ids.add(Integer.parseInt(m.group(1)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        ids.sort(null);
        return ids;
    }

    IllegalStateException malformed(String relative, String why) {
        return new IllegalStateException("malformed sysfs file " + path(relative) + ": " + why);
    }

    private CpuSet parseList(String relative, String text) {
        try {
            return CoreList.parse(text);
        } catch (IllegalArgumentException e) {
            throw malformed(relative, e.getMessage());
        }
    }
}
