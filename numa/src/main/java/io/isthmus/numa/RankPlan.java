package io.isthmus.numa;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Which cores and NUMA node each worker rank gets, and how a worker is started on them.
 *
 * @param binding how the plan was made, e.g. {@code --bind-cores-to-rank}
 * @param ranks   the ranks, rank 0 first
 * @param notes   things a user should know (cores left unused, ranks spanning nodes)
 */
public record RankPlan(String binding, List<Rank> ranks, List<String> notes) {

    public RankPlan {
        ranks = List.copyOf(ranks);
        notes = List.copyOf(notes);
    }

    public int worldSize() {
        return ranks.size();
    }

    public Rank rank(int rank) {
        return ranks.get(rank);
    }

    /** A readable multi-line plan, as {@code --dry-run} prints it. */
    public String describe() {
        return describe(Rank::environment);
    }

    /**
     * The same with each rank's environment as {@code environment} gives it (a launcher that adds
     * variables of its own shows what the workers really get).
     */
    public String describe(java.util.function.Function<Rank, Map<String, String>> environment) {
        StringBuilder sb = new StringBuilder();
        sb.append("plan: ").append(worldSize()).append(worldSize() == 1 ? " rank" : " ranks")
                .append(", ").append(binding).append('\n');
        for (Rank r : ranks) {
            sb.append("rank ").append(r.rank()).append(": cores ").append(r.cores())
                    .append(" (").append(r.cores().size()).append("), node ").append(r.node());
            if (r.spansNodes()) {
                sb.append(" (cores on nodes ").append(r.nodesSpanned().stream().map(String::valueOf)
                        .collect(Collectors.joining(","))).append(')');
            }
            sb.append('\n');
            sb.append("  numactl ").append(String.join(" ", r.numactlArguments())).append('\n');
            environment.apply(r).forEach((k, v) -> sb.append("  ").append(k).append('=').append(v).append('\n'));
        }
        notes.forEach(n -> sb.append("note: ").append(n).append('\n'));
        return sb.toString();
    }

    /**
     * One worker.
     *
     * @param rank         its rank, 0 being the driver
     * @param worldSize    the number of ranks in the plan
     * @param cores        the CPUs it is bound to, one thread each
     * @param node         the NUMA node its memory is bound to
     * @param nodesSpanned every node holding some of its cores, ascending ({@code node} among them)
     */
    public record Rank(int rank, int worldSize, CpuSet cores, int node, List<Integer> nodesSpanned) {

        public Rank {
            nodesSpanned = List.copyOf(nodesSpanned);
            if (cores.isEmpty()) {
                throw new IllegalArgumentException("rank " + rank + " has no cores");
            }
        }

        public boolean spansNodes() {
            return nodesSpanned.size() > 1;
        }

        /** {@code {c0},{c1},...}: one OpenMP place per core, so oneDNN's threads bind one a core. */
        public String ompPlaces() {
            return cores.stream().mapToObj(c -> "{" + c + "}").collect(Collectors.joining(","));
        }

        /** The worker's environment, in a stable order (the launcher adds ISTHMUS_JOB). */
        public Map<String, String> environment() {
            Map<String, String> env = new LinkedHashMap<>();
            env.put("ISTHMUS_RANK", String.valueOf(rank));
            env.put("ISTHMUS_WORLD_SIZE", String.valueOf(worldSize));
            env.put("ISTHMUS_CORES", cores.toString());
            env.put("ISTHMUS_NODE", String.valueOf(node));
            env.put("OMP_NUM_THREADS", String.valueOf(cores.size()));
            env.put("OMP_PLACES", ompPlaces());
            return env;
        }

        /** Arguments to put after {@code numactl} (the caller decides whether numactl exists). */
        public List<String> numactlArguments() {
            return List.of("--physcpubind=" + cores, "--membind=" + node);
        }
    }
}
