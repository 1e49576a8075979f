package io.isthmus.numa;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Builds a {@link Topology} from a {@link SysfsTree}. Required: {@code cpu/online} and, per online
 * CPU, {@code topology/physical_package_id} and {@code topology/core_id}. Optional: offline,
 * isolated, the sibling lists (else grouped by package and core id), the node directories (else
 * one node 0) and each node's meminfo.
 */
final class TopologyReader {

    private final SysfsTree sys;

    TopologyReader(SysfsTree sys) {
        this.sys = sys;
    }

    Topology read() {
        String cpuDir = SysfsTree.CPU_DIR;
        CpuSet online = sys.readList(cpuDir + "/online");
        if (online.isEmpty()) {
            throw sys.malformed(cpuDir + "/online", "no online CPUs");
        }
        CpuSet offline = sys.readOptionalList(cpuDir + "/offline").orElse(CpuSet.of());
        CpuSet isolated = sys.readOptionalList(cpuDir + "/isolated").orElse(CpuSet.of());
        List<NumaNode> nodes = readNodes(online);

        Map<Integer, Integer> nodeOfCpu = new HashMap<>();
        for (NumaNode n : nodes) {
            n.cpus().stream().forEach(c -> nodeOfCpu.put(c, n.id()));
        }
        List<RawCpu> cpus = new ArrayList<>();
        for (int id : online.toArray()) {
            String dir = cpuDir + "/cpu" + id + "/topology";
            int socket = sys.readInt(dir + "/physical_package_id");
            int coreId = sys.readInt(dir + "/core_id");
            Integer node = nodeOfCpu.get(id);
            if (node == null) {
                throw new IllegalStateException("online CPU " + id + " is in no node's cpulist under "
                        + sys.path(SysfsTree.NODE_DIR));
            }
            Optional<CpuSet> siblings = readSiblings(dir).map(s -> s.intersection(online));
            if (siblings.isPresent() && !siblings.get().contains(id)) {
                throw sys.malformed(dir + "/thread_siblings_list", "does not contain CPU " + id);
            }
            cpus.add(new RawCpu(id, socket, coreId, node, siblings));
        }
        return new Topology(sys.root(), online, offline, isolated, withSiblings(cpus), nodes);
    }

    private List<NumaNode> readNodes(CpuSet online) {
        List<Integer> ids = sys.nodeIds();
        if (ids.isEmpty()) {
            // a kernel without CONFIG_NUMA has no node directory: the whole machine is node 0
            return List.of(new NumaNode(0, online, OptionalLong.empty()));
        }
        List<NumaNode> nodes = new ArrayList<>();
        for (int id : ids) {
            // memory-only nodes have an empty cpulist; offline CPUs are masked out for uniformity
            CpuSet cpus = sys.readList(SysfsTree.NODE_DIR + "/node" + id + "/cpulist");
            nodes.add(new NumaNode(id, cpus.intersection(online), sys.readNodeMemTotal(id)));
        }
        return nodes;
    }

    private Optional<CpuSet> readSiblings(String topologyDir) {
        return sys.readOptionalList(topologyDir + "/thread_siblings_list")
                .or(() -> sys.readOptionalList(topologyDir + "/core_cpus_list"));
    }

    /** Fills in missing sibling lists from CPUs that share a package and core id. */
    private static List<Cpu> withSiblings(List<RawCpu> cpus) {
        Map<List<Integer>, List<Integer>> byCore = new HashMap<>();
        for (RawCpu c : cpus) {
            byCore.computeIfAbsent(c.coreKey(), k -> new ArrayList<>()).add(c.id());
        }
        return cpus.stream().map(c -> new Cpu(c.id(), c.socket(), c.coreId(), c.node(),
                c.siblings().orElseGet(() -> CpuSet.of(
                        byCore.get(c.coreKey()).stream().mapToInt(Integer::intValue).toArray()))))
                .toList();
    }

    /** A CPU as read, before a missing sibling list is derived. */
    private record RawCpu(int id, int socket, int coreId, int node, Optional<CpuSet> siblings) {
        List<Integer> coreKey() {
            return List.of(socket, coreId);
        }
    }
}
