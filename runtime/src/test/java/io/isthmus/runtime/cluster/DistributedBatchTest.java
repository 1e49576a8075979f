package io.isthmus.runtime.cluster;

import io.isthmus.runtime.format.GgufFile;
import io.isthmus.runtime.format.ModelLoader;
import io.isthmus.runtime.generate.BeamParams;
import io.isthmus.runtime.generate.DecodeJob;
import io.isthmus.runtime.generate.DecodeLoop;
import io.isthmus.runtime.generate.Generator;
import io.isthmus.runtime.generate.SamplingParams;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.Transformer;
import io.isthmus.runtime.testing.StopAtToken;
import io.isthmus.runtime.tokenizer.Tokenizer;
import io.isthmus.runtime.tokenizer.TokenizerLoader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Batched decode and beam search on 2 tensor-parallel ranks (threads with an in-process
 * communicator; the BATCH, NEW_SEQUENCE with beams and RELEASE steps go through the step codec):
 * the same tokens and scores as one rank.
 */
class DistributedBatchTest {
    static final Path STORIES = Path.of("../examples/models/stories260K.gguf").toAbsolutePath().normalize();
    static final List<String> PROMPTS = List.of("Once upon a time", "Lily", "The little dog was very happy because");
    static ModelWeights weights;
    static Tokenizer tokenizer;
    static ComputePool pool;
    static Generator local;

    @BeforeAll
    static void open() {
        weights = ModelLoader.load(STORIES);
        try (GgufFile g = GgufFile.open(STORIES)) {
            tokenizer = new StopAtToken(TokenizerLoader.fromGguf(g), 261);
        }
        pool = new ComputePool(1);
        local = new Generator(new Transformer(weights, pool), tokenizer, KvCacheType.F32, 512);
    }

    @AfterAll
    static void close() {
        pool.close();
        weights.close();
    }

    @Test
    @Timeout(300)
    void beamSearchOnTwoRanksMatchesOneRank() {
        try (ThreadCluster cluster = new ThreadCluster(weights, tokenizer, 2, Duration.ofSeconds(60))) {
            Generator g = cluster.generator();
            for (String prompt : PROMPTS) {
                int[] ids = g.tokenize(prompt);
                for (BeamParams p : List.of(BeamParams.of(4), BeamParams.of(3).withEarlyStopping(true))) {
                    Generator.Output one = local.generate(ids, 20, SamplingParams.GREEDY, p, false, (i, t) -> { }, () -> false);
                    Generator.Output two = g.generate(ids, 20, SamplingParams.GREEDY, p, false, (i, t) -> { }, () -> false);
                    assertTrue(one.tokenIds().length > 0, prompt + " " + p);
                    assertArrayEquals(one.tokenIds(), two.tokenIds(), prompt + " " + p);
                    assertEquals(one.score(), two.score(), 1e-4 * Math.max(1, Math.abs(one.score())));
                    assertEquals(one.stopReason(), two.stopReason());
                }
            }
        }
    }

    @Test
    @Timeout(300)
    void batchedSequencesAndBeamsOnTwoRanksMatchSequentialOnes() {
        try (ThreadCluster cluster = new ThreadCluster(weights, tokenizer, 2, Duration.ofSeconds(60))) {
            Generator g = cluster.generator();
            List<Generator.Output> sequential = new ArrayList<>();
            List<DecodeJob> jobs = new ArrayList<>();
            DecodeLoop loop = new DecodeLoop(cluster.driver(), cluster.driver().maxBatchRows());
            for (int i = 0; i < PROMPTS.size(); i++) {
                int[] ids = g.tokenize(PROMPTS.get(i));
                BeamParams beams = i == 1 ? BeamParams.of(4) : BeamParams.NONE; // a beam search among sampled sequences
                sequential.add(local.generate(ids, 16 + 3 * i, SamplingParams.GREEDY, beams, true, (x, t) -> { }, () -> false));
                DecodeJob job = g.start(ids, 16 + 3 * i, SamplingParams.GREEDY, beams, true, (x, t) -> { }, () -> false);
                jobs.add(job);
                loop.add(job);
            }
            assertEquals(1 + 4 + 1, loop.rows());
            int steps = 0;
            while (!loop.isEmpty()) {
                loop.step();
                steps++;
            }
            assertEquals(16 + 3 * 2 - 1, steps, "the longest job's decode steps");
            for (int i = 0; i < jobs.size(); i++) {
                assertArrayEquals(sequential.get(i).tokenIds(), jobs.get(i).result().tokenIds(), PROMPTS.get(i));
            }
            // every cache was released: the followers still take new sequences, and the driver's live count is 0
            assertEquals(8, g.generate(g.tokenize("Lily"), 8, SamplingParams.GREEDY, true, (x, t) -> { }, () -> false)
                    .tokenIds().length);
            assertEquals(0, cluster.driver().liveSequences());
        }
    }
}
