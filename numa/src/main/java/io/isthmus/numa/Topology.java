package io.isthmus.numa;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;

/**
 * The machine's CPUs, sockets, physical cores, SMT siblings and NUMA nodes, as sysfs describes
 * them. Only online CPUs carry topology; offline and isolated CPUs are reported as sets. Immutable.
 */
public final class Topology {

    private final Path root;
    private final CpuSet online;
    private final CpuSet offline;
    private final CpuSet isolated;
    private final Map<Integer, Cpu> cpus;
    private final Map<Integer, NumaNode> nodes;
    private final List<Integer> sockets;

    Topology(Path root, CpuSet online, CpuSet offline, CpuSet isolated, List<Cpu> cpus,
            List<NumaNode> nodes) {
        this.root = root;
        this.online = online;
        this.offline = offline;
        this.isolated = isolated;
        Map<Integer, Cpu> byId = new TreeMap<>();
        cpus.forEach(c -> byId.put(c.id(), c));
        this.cpus = Collections.unmodifiableMap(byId);
        Map<Integer, NumaNode> nodeById = new TreeMap<>();
        nodes.forEach(n -> nodeById.put(n.id(), n));
        this.nodes = Collections.unmodifiableMap(nodeById);
        this.sockets = cpus.stream().map(Cpu::socket).distinct().sorted().toList();
    }

    /** The topology of this machine (sysfs under {@code /}). */
    public static Topology live() {
        return read(Path.of("/"));
    }

    /** The topology of the sysfs tree under {@code root} ({@code root/sys/devices/system/...}). */
    public static Topology read(Path root) {
        return new TopologyReader(new SysfsTree(root)).read();
    }

    /** The root this topology was read from. */
    public Path root() {
        return root;
    }

    public CpuSet online() {
        return online;
    }

    /** CPUs the kernel knows but has taken offline. */
    public CpuSet offline() {
        return offline;
    }

    /** CPUs removed from the scheduler's balancing ({@code isolcpus=}); may include offline ones. */
    public CpuSet isolated() {
        return isolated;
    }

    /** Online CPUs that are not isolated: what automatic plans may use. */
    public CpuSet schedulable() {
        return online.minus(isolated);
    }

    /** Socket (package) ids, ascending. */
    public List<Integer> sockets() {
        return sockets;
    }

    /** All NUMA nodes, ascending, including memory-only ones. */
    public List<NumaNode> nodes() {
        return List.copyOf(nodes.values());
    }

    public NumaNode node(int id) {
        NumaNode n = nodes.get(id);
        if (n == null) {
            throw new NoSuchElementException("no NUMA node " + id + " (nodes: " + nodes.keySet() + ")");
        }
        return n;
    }

    /** The online CPU {@code id}. */
    public Cpu cpu(int id) {
        Cpu c = cpus.get(id);
        if (c == null) {
            throw new NoSuchElementException("CPU " + id + " is not online (online: " + online + ")");
        }
        return c;
    }

    /** All online CPUs, ascending. */
    public List<Cpu> cpus() {
        return List.copyOf(cpus.values());
    }

    /** The online CPUs of a socket. */
    public CpuSet cpusOf(int socket) {
        return collect(socket, false);
    }

    /** One CPU per physical core of a socket: the lowest-numbered online thread of each core. */
    public CpuSet physicalCoresOf(int socket) {
        return collect(socket, true);
    }

    /** The nodes holding at least one online CPU of a socket, ascending. */
    public List<NumaNode> nodesOf(int socket) {
        CpuSet socketCpus = cpusOf(socket);
        List<NumaNode> result = new ArrayList<>();
        for (NumaNode n : nodes.values()) {
            if (!n.cpus().intersection(socketCpus).isEmpty()) {
                result.add(n);
            }
        }
        return result;
    }

    /** The online threads sharing {@code cpu}'s physical core, {@code cpu} included. */
    public CpuSet siblingsOf(int cpu) {
        return cpu(cpu).siblings();
    }

    /** The NUMA node of an online CPU. */
    public int nodeOf(int cpu) {
        return cpu(cpu).node();
    }

    private CpuSet collect(int socket, boolean firstThreadsOnly) {
        if (!sockets.contains(socket)) {
            throw new NoSuchElementException("no socket " + socket + " (sockets: " + sockets + ")");
        }
        return CpuSet.of(cpus.values().stream()
                .filter(c -> c.socket() == socket && (!firstThreadsOnly || c.isFirstThread()))
                .mapToInt(Cpu::id).toArray());
    }

    @Override
    public String toString() {
        return "Topology[" + root + ": " + sockets.size() + " sockets, " + nodes.size() + " nodes, online "
                + online + (offline.isEmpty() ? "" : ", offline " + offline)
                + (isolated.isEmpty() ? "" : ", isolated " + isolated) + "]";
    }
}
