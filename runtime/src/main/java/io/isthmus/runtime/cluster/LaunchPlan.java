package io.isthmus.runtime.cluster;

import io.isthmus.numa.RankPlan;
import io.isthmus.runtime.config.ModelSpec;
import io.isthmus.runtime.format.ModelLoader;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.tp.ShardPlan;
import io.isthmus.runtime.tp.ShardPlanner;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where each rank of this host runs and which part of the model every rank of the job holds: what
 * {@code --dry-run} prints.
 */
public record LaunchPlan(RankPlan ranks, HostLayout hosts, ShardPlan shards) {

    /** Plans the ranks and their shards; reads only the model's headers and tensor infos (mapped, not loaded). */
    public static LaunchPlan of(ModelSpec spec, LaunchOptions options) {
        return of(spec, options, HostLayout.single());
    }

    /** As {@link #of(ModelSpec, LaunchOptions)} for this host of a job on {@code hosts}. */
    public static LaunchPlan of(ModelSpec spec, LaunchOptions options, HostLayout hosts) {
        RankPlan ranks = options.rankPlan(spec);
        try (ModelWeights weights = ModelLoader.load(spec.model())) {
            return new LaunchPlan(ranks, hosts, ShardPlanner.plan(weights, ranks.worldSize() * hosts.hosts()));
        }
    }

    public String describe() {
        String nl = System.lineSeparator();
        int local = ranks.worldSize();
        int world = local * hosts.hosts();
        String where = hosts.isMultiHost()
                ? hosts.describe() + ": local ranks 0.." + (local - 1) + " below are global ranks "
                        + hosts.globalRank(0, local) + ".." + hosts.globalRank(local - 1, local) + " of " + world + nl
                : "";
        return where + ranks.describe(r -> {
            Map<String, String> env = new LinkedHashMap<>(r.environment());
            env.putAll(hosts.environment(r.rank(), local));
            return env;
        }) + nl + "shards of " + world + " rank(s):" + nl + shards.describe();
    }
}
