package io.isthmus.numa;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the sysfs trees recorded under {@code src/test/resources/sysfs/}: only the files
 * {@link Topology} reads, with the contents Linux gives them. After a test-compile, regenerate the
 * committed trees with {@code java -cp numa/target/classes:numa/target/test-classes
 * io.isthmus.numa.SysfsTrees numa/src/test/resources/sysfs} (TopologyTest checks the committed
 * files still match); tests also use it to write altered trees.
 */
final class SysfsTrees {

    static final String XEON_2S_SMT2 = "xeon-2s-smt2";
    static final String XEON_2S_SNC2 = "xeon-2s-snc2";
    static final String VM_1S = "vm-1s";

    /** File path (relative to the tree root) to contents, in writing order. */
    private final Map<String, String> files = new LinkedHashMap<>();

    static SysfsTrees named(String name) {
        return switch (name) {
            case XEON_2S_SMT2 -> xeon(1);
            case XEON_2S_SNC2 -> xeon(2);
            case VM_1S -> vm();
            default -> throw new IllegalArgumentException("no recorded tree " + name);
        };
    }

    /**
     * A 2-socket Sapphire Rapids, 28 cores × 2 threads a socket, numbered as Linux does: first
     * threads 0-55 (socket 0 = 0-27), siblings 56-111 (CPU c and c+56 share a core).
     * {@code nodesPerSocket} 2 is SNC-2: each socket's cores halved into two nodes.
     */
    private static SysfsTrees xeon(int nodesPerSocket) {
        int cores = 28;
        int sockets = 2;
        int threads = cores * sockets;
        SysfsTrees t = new SysfsTrees();
        t.cpuFiles("0-" + (2 * threads - 1), "", "");
        for (int cpu = 0; cpu < 2 * threads; cpu++) {
            int first = cpu % threads;
            // Linux numbers core_id from 0 within each package on SPR
            t.cpu(cpu, first / cores, first % cores, first + "," + (first + threads));
        }
        int perNode = cores / nodesPerSocket;
        long memKb = 263_784_884L / nodesPerSocket;
        for (int node = 0; node < sockets * nodesPerSocket; node++) {
            int from = node * perNode;
            int to = from + perNode - 1;
            t.node(node, from + "-" + to + "," + (from + threads) + "-" + (to + threads), memKb);
        }
        return t;
    }

    /** A 1-socket VM with 4 vCPUs, no SMT, one node, CPU 3 taken offline. */
    private static SysfsTrees vm() {
        SysfsTrees t = new SysfsTrees();
        t.cpuFiles("0-2", "3", "");
        for (int cpu = 0; cpu < 3; cpu++) {
            t.cpu(cpu, 0, cpu, String.valueOf(cpu));
        }
        // x86 drops an offlined CPU from its node's cpumask, and the topology directory goes with it
        t.node(0, "0-2", 8_148_000L);
        return t;
    }

    SysfsTrees cpuFiles(String online, String offline, String isolated) {
        put(SysfsTree.CPU_DIR + "/online", online);
        put(SysfsTree.CPU_DIR + "/offline", offline);
        put(SysfsTree.CPU_DIR + "/isolated", isolated);
        return this;
    }

    SysfsTrees cpu(int cpu, int socket, int coreId, String siblings) {
        String dir = SysfsTree.CPU_DIR + "/cpu" + cpu + "/topology/";
        put(dir + "physical_package_id", String.valueOf(socket));
        put(dir + "core_id", String.valueOf(coreId));
        put(dir + "thread_siblings_list", siblings);
        return this;
    }

    SysfsTrees node(int node, String cpulist, long memTotalKb) {
        String dir = SysfsTree.NODE_DIR + "/node" + node + "/";
        put(dir + "cpulist", cpulist);
        files.put(dir + "meminfo", String.format(
                "Node %d MemTotal:       %d kB%nNode %d MemFree:        %d kB%nNode %d MemUsed:        %d kB%n",
                node, memTotalKb, node, memTotalKb * 9 / 10, node, memTotalKb - memTotalKb * 9 / 10));
        return this;
    }

    /** Replaces (or adds) one file; sysfs ends every value with a newline. */
    SysfsTrees put(String relative, String value) {
        files.put(relative, value + "\n");
        return this;
    }

    SysfsTrees remove(String relative) {
        if (files.remove(relative) == null) {
            throw new IllegalArgumentException("no file " + relative + " in the tree");
        }
        return this;
    }

    Map<String, String> files() {
        return files;
    }

    Path writeTo(Path root) {
        try {
            for (Map.Entry<String, String> f : files.entrySet()) {
                Path p = root.resolve(f.getKey());
                Files.createDirectories(p.getParent());
                Files.writeString(p, f.getValue());
            }
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void main(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : "numa/src/test/resources/sysfs");
        for (String name : new String[] {XEON_2S_SMT2, XEON_2S_SNC2, VM_1S}) {
            named(name).writeTo(dir.resolve(name));
        }
    }
}
