package io.isthmus.numa;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Plans worker ranks over a {@link Topology} with the semantics of DeepSpeed's
 * {@code launcher/numa.py}, made socket-aware:
 * <ul>
 * <li>{@link #bindCoresToRank(int)}: ranks spread evenly over sockets; each rank gets an equal,
 * contiguous share of its socket's physical cores (first threads only, no SMT siblings). Offline
 * and isolated CPUs are never used. All ranks get the same number of cores, the share of the
 * socket with the fewest usable cores; cores left over are unused and noted (DeepSpeed too
 * leaves the remainder of its division unused).
 * <li>{@link #bindCoreList(CpuSet, int)}: exactly the listed CPUs, as given (siblings included,
 * isolated allowed), split in ascending order into equal shares. A list that does not divide
 * evenly is an error naming the counts: an explicit list should be used as written, not trimmed.
 * </ul>
 * Each rank's memory goes to the node holding most of its cores (the lowest such node on a tie);
 * a rank whose cores span nodes is noted in the plan.
 */
public final class RankPlanner {

    private final Topology topology;

    public RankPlanner(Topology topology) {
        this.topology = topology;
    }

    /** The default rank count: one per socket. */
    public int defaultRanks() {
        return topology.sockets().size();
    }

    /** {@code --bind-cores-to-rank} with one rank per socket. */
    public RankPlan bindCoresToRank() {
        return bindCoresToRank(defaultRanks());
    }

    /** {@code --bind-cores-to-rank} with {@code ranks} ranks. */
    public RankPlan bindCoresToRank(int ranks) {
        requirePositive(ranks);
        List<Integer> sockets = topology.sockets();
        if (ranks % sockets.size() != 0) {
            throw new IllegalArgumentException(ranks + " ranks do not spread evenly over " + sockets.size()
                    + " sockets: use a multiple of " + sockets.size() + ", or --bind-core-list");
        }
        int perSocket = ranks / sockets.size();
        List<CpuSet> usable = new ArrayList<>();
        for (int socket : sockets) {
            usable.add(topology.physicalCoresOf(socket).minus(topology.isolated()));
        }
        // one share size for every rank, set by the smallest socket: tensor-parallel ranks do equal
        // work, so a larger rank would only wait for the others
        int smallest = 0;
        for (int i = 1; i < usable.size(); i++) {
            if (usable.get(i).size() < usable.get(smallest).size()) {
                smallest = i;
            }
        }
        int share = usable.get(smallest).size() / perSocket;
        if (share == 0) {
            throw new IllegalArgumentException("socket " + sockets.get(smallest) + " has "
                    + usable.get(smallest).size() + " usable physical cores for " + perSocket + " ranks");
        }
        List<CpuSet> shares = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (int i = 0; i < sockets.size(); i++) {
            shares.addAll(split(usable.get(i), perSocket, share));
            int unused = usable.get(i).size() - share * perSocket;
            if (unused > 0) {
                notes.add("socket " + sockets.get(i) + ": " + unused + " of " + usable.get(i).size()
                        + " physical cores left unused (" + perSocket + (perSocket == 1 ? " rank" : " ranks")
                        + " of " + share + ")");
            }
        }
        return plan("--bind-cores-to-rank (physical cores, equal share of each socket)", shares, notes);
    }

    /** {@code --bind-core-list LIST} split into {@code ranks} ranks. */
    public RankPlan bindCoreList(CpuSet cores, int ranks) {
        requirePositive(ranks);
        if (cores.isEmpty()) {
            throw new IllegalArgumentException("--bind-core-list: empty core list");
        }
        CpuSet unknown = cores.minus(topology.online()).minus(topology.offline());
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("--bind-core-list " + cores + ": this machine has no CPU "
                    + unknown + " (online: " + topology.online() + ")");
        }
        CpuSet offline = cores.minus(topology.online());
        if (!offline.isEmpty()) {
            throw new IllegalArgumentException("--bind-core-list " + cores + ": CPU " + offline
                    + " is offline (online: " + topology.online() + ")");
        }
        if (ranks > cores.size() && ranks % cores.size() == 0) {
            // more ranks than cores (correctness runs on a small machine): neighbouring ranks share a core
            int perCore = ranks / cores.size();
            int[] all = cores.toArray();
            List<CpuSet> shares = new ArrayList<>(ranks);
            for (int r = 0; r < ranks; r++) {
                shares.add(CpuSet.of(all[r / perCore]));
            }
            return plan("--bind-core-list " + cores, shares, List.of("oversubscribed: " + perCore
                    + " ranks share each core, which is slower than one rank per core"));
        }
        if (cores.size() % ranks != 0) {
            throw new IllegalArgumentException("--bind-core-list " + cores + ": " + cores.size()
                    + " cores do not split evenly into " + ranks + " ranks");
        }
        return plan("--bind-core-list " + cores, split(cores, ranks, cores.size() / ranks), List.of());
    }

    private RankPlan plan(String binding, List<CpuSet> shares, List<String> notes) {
        List<RankPlan.Rank> ranks = new ArrayList<>();
        List<String> allNotes = new ArrayList<>(notes);
        for (int r = 0; r < shares.size(); r++) {
            RankPlan.Rank rank = rank(r, shares.size(), shares.get(r));
            if (rank.spansNodes()) {
                int onNode = rank.cores().intersection(topology.node(rank.node()).cpus()).size();
                allNotes.add("rank " + r + ": cores " + rank.cores() + " span nodes "
                        + rank.nodesSpanned().stream().map(String::valueOf).collect(Collectors.joining(","))
                        + "; memory bound to node " + rank.node() + ", which holds " + onNode + " of the "
                        + rank.cores().size() + " (the most; the lowest node on a tie)");
            }
            ranks.add(rank);
        }
        return new RankPlan(binding, ranks, allNotes);
    }

    private RankPlan.Rank rank(int rank, int worldSize, CpuSet cores) {
        Map<Integer, Integer> coresPerNode = new TreeMap<>();
        cores.stream().forEach(c -> coresPerNode.merge(topology.nodeOf(c), 1, Integer::sum));
        // ascending iteration and a strict comparison keep the lowest node on a tie
        int node = -1;
        int most = 0;
        for (Map.Entry<Integer, Integer> e : coresPerNode.entrySet()) {
            if (e.getValue() > most) {
                node = e.getKey();
                most = e.getValue();
            }
        }
        return new RankPlan.Rank(rank, worldSize, cores, node, List.copyOf(coresPerNode.keySet()));
    }

    /** The first {@code parts * each} CPUs of {@code cpus}, ascending, in {@code parts} runs of {@code each}. */
    private static List<CpuSet> split(CpuSet cpus, int parts, int each) {
        int[] all = cpus.toArray();
        List<CpuSet> result = new ArrayList<>(parts);
        for (int i = 0; i < parts; i++) {
            result.add(CpuSet.of(Arrays.copyOfRange(all, i * each, (i + 1) * each)));
        }
        return result;
    }

    private static void requirePositive(int ranks) {
        if (ranks < 1) {
            throw new IllegalArgumentException("number of ranks must be at least 1, got " + ranks);
        }
    }
}
