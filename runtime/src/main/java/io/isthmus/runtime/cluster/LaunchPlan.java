package io.isthmus.runtime.cluster;

import io.isthmus.numa.RankPlan;
import io.isthmus.runtime.config.ModelSpec;
import io.isthmus.runtime.format.ModelLoader;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.tp.ShardPlan;
import io.isthmus.runtime.tp.ShardPlanner;

/** Where each rank runs and which part of the model it holds: what {@code --dry-run} prints. */
public record LaunchPlan(RankPlan ranks, ShardPlan shards) {

    /** Plans the ranks and their shards; reads only the model's headers and tensor infos (mapped, not loaded). */
    public static LaunchPlan of(ModelSpec spec, LaunchOptions options) {
        RankPlan ranks = options.rankPlan(spec);
        try (ModelWeights weights = ModelLoader.load(spec.model())) {
            return new LaunchPlan(ranks, ShardPlanner.plan(weights, ranks.worldSize()));
        }
    }

    public String describe() {
        String nl = System.lineSeparator();
        return ranks.describe() + nl + "shards of " + ranks.worldSize() + " rank(s):" + nl + shards.describe();
    }
}
