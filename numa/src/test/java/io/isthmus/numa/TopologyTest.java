package io.isthmus.numa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TopologyTest {

    @TempDir
    Path tmp;

    /** The committed tree {@code sysfs/<name>} on the test class path. */
    static Path recorded(String name) {
        try {
            return Path.of(TopologyTest.class.getResource("/sysfs/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new AssertionError("recorded sysfs tree " + name + " missing from test resources", e);
        }
    }

    static Topology recordedTopology(String name) {
        return Topology.read(recorded(name));
    }

    @Test
    void committedTreesMatchTheirGenerator() throws Exception {
        for (String name : List.of(SysfsTrees.XEON_2S_SMT2, SysfsTrees.XEON_2S_SNC2, SysfsTrees.VM_1S)) {
            Path root = recorded(name);
            Map<String, String> expected = SysfsTrees.named(name).files();
            try (var walk = Files.walk(root)) {
                assertEquals(expected.size(), walk.filter(Files::isRegularFile).count(), name + " file count");
            }
            for (Map.Entry<String, String> f : expected.entrySet()) {
                assertEquals(f.getValue(), Files.readString(root.resolve(f.getKey())), name + "/" + f.getKey());
            }
        }
    }

    @Test
    void twoSocketXeonWithSmt() {
        Topology t = recordedTopology(SysfsTrees.XEON_2S_SMT2);
        assertEquals(List.of(0, 1), t.sockets());
        assertEquals(112, t.online().size());
        assertTrue(t.offline().isEmpty());
        assertTrue(t.isolated().isEmpty());
        assertEquals(CpuSet.parse("0-27,56-83"), t.cpusOf(0));
        assertEquals(CpuSet.parse("28-55,84-111"), t.cpusOf(1));
        assertEquals(CpuSet.range(0, 27), t.physicalCoresOf(0));
        assertEquals(CpuSet.range(28, 55), t.physicalCoresOf(1));
        assertEquals(CpuSet.of(0, 56), t.siblingsOf(0));
        assertEquals(CpuSet.of(0, 56), t.siblingsOf(56));
        assertEquals(CpuSet.of(55, 111), t.siblingsOf(111));
        assertEquals(2, t.nodes().size());
        assertEquals(List.of(0), t.nodesOf(0).stream().map(NumaNode::id).toList());
        assertEquals(List.of(1), t.nodesOf(1).stream().map(NumaNode::id).toList());
        assertEquals(CpuSet.parse("28-55,84-111"), t.node(1).cpus());
        assertEquals(OptionalLong.of(263_784_884L * 1024), t.node(0).memTotalBytes());
        Cpu c = t.cpu(84);
        assertEquals(new Cpu(84, 1, 0, 1, CpuSet.of(28, 84)), c);
        assertFalse(c.isFirstThread());
    }

    @Test
    void subNumaClusteringHasTwoNodesPerSocket() {
        Topology t = recordedTopology(SysfsTrees.XEON_2S_SNC2);
        assertEquals(List.of(0, 1), t.sockets());
        assertEquals(4, t.nodes().size());
        assertEquals(List.of(0, 1), t.nodesOf(0).stream().map(NumaNode::id).toList());
        assertEquals(List.of(2, 3), t.nodesOf(1).stream().map(NumaNode::id).toList());
        assertEquals(CpuSet.parse("14-27,70-83"), t.node(1).cpus());
        assertEquals(1, t.nodeOf(14));
        assertEquals(1, t.nodeOf(83));
        assertEquals(3, t.nodeOf(42));
        assertEquals(28, t.physicalCoresOf(1).size());
    }

    @Test
    void vmWithAnOfflineCpu() {
        Topology t = recordedTopology(SysfsTrees.VM_1S);
        assertEquals(List.of(0), t.sockets());
        assertEquals(CpuSet.range(0, 2), t.online());
        assertEquals(CpuSet.of(3), t.offline());
        assertEquals(CpuSet.range(0, 2), t.physicalCoresOf(0));
        assertEquals(CpuSet.of(1), t.siblingsOf(1));
        assertEquals(1, t.nodes().size());
        assertFalse(t.cpusOf(0).contains(3));
        assertThrows(java.util.NoSuchElementException.class, () -> t.cpu(3));
    }

    @Test
    void missingOptionalFilesAreTolerated() {
        SysfsTrees tree = SysfsTrees.named(SysfsTrees.XEON_2S_SMT2)
                .remove(SysfsTree.CPU_DIR + "/offline")
                .remove(SysfsTree.CPU_DIR + "/isolated")
                .remove(SysfsTree.NODE_DIR + "/node1/meminfo")
                .remove(SysfsTree.CPU_DIR + "/cpu5/topology/thread_siblings_list")
                .remove(SysfsTree.CPU_DIR + "/cpu61/topology/thread_siblings_list")
                .put(SysfsTree.CPU_DIR + "/cpu61/topology/core_cpus_list", "5,61");
        Topology t = Topology.read(tree.writeTo(tmp));
        assertTrue(t.offline().isEmpty());
        assertEquals(OptionalLong.empty(), t.node(1).memTotalBytes());
        assertEquals(CpuSet.of(5, 61), t.siblingsOf(5), "derived from package and core id");
        assertEquals(CpuSet.of(5, 61), t.siblingsOf(61), "read from core_cpus_list");
        assertEquals(CpuSet.range(0, 27), t.physicalCoresOf(0));
    }

    @Test
    void withoutNodeDirectoriesTheMachineIsNodeZero() throws Exception {
        Path root = SysfsTrees.named(SysfsTrees.VM_1S).writeTo(tmp);
        try (var walk = Files.walk(root.resolve(SysfsTree.NODE_DIR))) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        Topology t = Topology.read(root);
        assertEquals(List.of(new NumaNode(0, CpuSet.range(0, 2), OptionalLong.empty())), t.nodes());
    }

    @Test
    void isolatedCpusAreReported() {
        Topology t = Topology.read(SysfsTrees.named(SysfsTrees.XEON_2S_SMT2)
                .put(SysfsTree.CPU_DIR + "/isolated", "26-27,82-83").writeTo(tmp));
        assertEquals(CpuSet.parse("26-27,82-83"), t.isolated());
        assertFalse(t.schedulable().contains(27));
        assertTrue(t.schedulable().contains(25));
    }

    @Test
    void malformedFilesAreNamed() {
        assertMalformed(SysfsTree.CPU_DIR + "/online", "0-x");
        assertMalformed(SysfsTree.CPU_DIR + "/cpu7/topology/core_id", "seven");
        assertMalformed(SysfsTree.CPU_DIR + "/cpu7/topology/thread_siblings_list", "8,64");
        assertMalformed(SysfsTree.NODE_DIR + "/node1/cpulist", "28-");
        assertMalformed(SysfsTree.NODE_DIR + "/node0/meminfo", "Node 0 MemFree: 1 kB");
    }

    @Test
    void missingRequiredFileIsNamed() {
        String file = SysfsTree.CPU_DIR + "/cpu3/topology/physical_package_id";
        Path root = SysfsTrees.named(SysfsTrees.XEON_2S_SMT2).remove(file).writeTo(tmp);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Topology.read(root));
        assertTrue(e.getMessage().contains(root.resolve(file).toString()), e.getMessage());
    }

    private void assertMalformed(String file, String contents) {
        Path root = tmp.resolve(String.valueOf(file.hashCode()));
        SysfsTrees.named(SysfsTrees.XEON_2S_SMT2).put(file, contents).writeTo(root);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Topology.read(root), file);
        assertTrue(e.getMessage().contains("malformed sysfs file " + root.resolve(file)), e.getMessage());
    }

    @Test
    void liveMachineIsConsistent() {
        Topology t = Topology.live();
        CpuSet allowed = Affinity.currentAffinity();
        assertTrue(allowed.isSubsetOf(t.online()), "allowed " + allowed + " within online " + t.online());
        // every online CPU sits in exactly one socket, one node and one physical core
        BitSet inSocket = new BitSet();
        for (int s : t.sockets()) {
            CpuSet cpus = t.cpusOf(s);
            assertTrue(cpus.intersection(CpuSet.of(inSocket)).isEmpty(), "socket " + s + " overlaps");
            cpus.stream().forEach(inSocket::set);
            CpuSet cores = t.physicalCoresOf(s);
            CpuSet covered = CpuSet.of();
            for (int c : cores.toArray()) {
                assertTrue(t.siblingsOf(c).intersection(covered).isEmpty(), "core of CPU " + c + " counted twice");
                covered = covered.union(t.siblingsOf(c));
            }
            assertEquals(cpus, covered, "socket " + s + ": cores' siblings cover its CPUs");
        }
        assertEquals(t.online(), CpuSet.of(inSocket));
        BitSet inNode = new BitSet();
        for (NumaNode n : t.nodes()) {
            assertTrue(n.cpus().intersection(CpuSet.of(inNode)).isEmpty(), "node " + n.id() + " overlaps");
            n.cpus().stream().forEach(inNode::set);
        }
        assertEquals(t.online(), CpuSet.of(inNode));
        assertTrue(t.online().intersection(t.offline()).isEmpty());
    }
}
