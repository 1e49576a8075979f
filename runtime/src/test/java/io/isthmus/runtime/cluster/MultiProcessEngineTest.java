package io.isthmus.runtime.cluster;

import io.isthmus.numa.CoreList;
import io.isthmus.numa.RankPlanner;
import io.isthmus.numa.Topology;
import io.isthmus.runtime.api.Engine;
import io.isthmus.runtime.api.EngineOptions;
import io.isthmus.runtime.api.Generation;
import io.isthmus.runtime.api.GenerationRequest;
import io.isthmus.runtime.api.GenerationResult;
import io.isthmus.runtime.testing.SharedFiles;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The embedded API with two ranks in two JVMs: this JVM is rank 0, the follower runs in a child
 * JVM started by the worker group, the ranks talk through shared memory.
 */
class MultiProcessEngineTest {
    static final Path MODEL = Path.of("../examples/models/stories260K.gguf").toAbsolutePath().normalize();
    /** llama.cpp's greedy continuation of "Once upon a time" on stories260K (../shared/golden). */
    static final int[] GOLDEN = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337};

    static EngineOptions twoRanks() {
        var plan = new RankPlanner(Topology.live()).bindCoreList(CoreList.parse("0-1"), 2);
        return EngineOptions.defaults().withRankPlan(plan).withWarmUpMillis(0);
    }

    static List<ProcessHandle> children() {
        return ProcessHandle.current().children().filter(ProcessHandle::isAlive).toList();
    }

    static List<Path> jobDirectories() throws Exception {
        String prefix = "isthmus-" + ProcessHandle.current().pid() + "-";
        try (Stream<Path> s = Files.list(Path.of("/dev/shm"))) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
        }
    }

    @Test
    void twoRankGenerationMatchesTheGoldenIds() throws Exception {
        try (Engine engine = Engine.open(MODEL, twoRanks())) {
            assertEquals(2, engine.worldSize());
            GenerationResult r = engine.generate(GenerationRequest.of("Once upon a time").withMaxTokens(GOLDEN.length));
            assertArrayEquals(GOLDEN, r.tokenIds());
            assertEquals(2, r.worldSize());
            // a second request on the same group
            assertArrayEquals(GOLDEN, engine.generate(GenerationRequest.of("Once upon a time")
                    .withMaxTokens(GOLDEN.length)).tokenIds());
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!children().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(List.of(), children(), "follower JVMs left running");
        assertEquals(List.of(), jobDirectories(), "job directory left in /dev/shm");
    }

    @Test
    void proseLlamaOnTwoRanksMatchesOneRank() throws Exception {
        Path model = SharedFiles.require("models/prose-llama-35m/prose-llama-35m-f16.gguf");
        GenerationRequest req = GenerationRequest.of("The President said").withMaxTokens(24);
        int[] one;
        try (Engine single = Engine.open(model, EngineOptions.defaults().withThreads(1).withWarmUpMillis(0))) {
            one = single.generate(req).tokenIds();
        }
        try (Engine engine = Engine.open(model, twoRanks())) {
            assertArrayEquals(one, engine.generate(req).tokenIds());
        }
    }

    @Test
    void killedFollowerEndsTheJobWithinFiveSeconds() throws Exception {
        Engine engine = Engine.open(MODEL, twoRanks());
        try {
            Generation g = engine.submit(GenerationRequest.of("Once upon a time").withMaxTokens(1_000_000)
                    .withIgnoreEos(true), t -> { });
            Thread.sleep(500); // mid-generation (the context of 2048 tokens takes longer than this)
            ProcessHandle follower = children().getFirst();
            long start = System.nanoTime();
            follower.destroyForcibly();
            RuntimeException e = assertThrows(RuntimeException.class, g::await);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(seconds < 5, "took " + seconds + " s");
            WorkerFailure failure = e instanceof WorkerFailure f ? f : null;
            assertNotNull(failure, "expected a WorkerFailure, got " + e);
            assertEquals(1, failure.rank());
            assertEquals(9, failure.signal().orElse(-1), failure.getMessage());
            assertThrows(IllegalStateException.class, () -> engine.generate(GenerationRequest.of("x")));
        } finally {
            engine.close();
        }
        assertEquals(List.of(), children(), "processes left running");
        assertEquals(List.of(), jobDirectories(), "job directory left in /dev/shm");
    }
}
