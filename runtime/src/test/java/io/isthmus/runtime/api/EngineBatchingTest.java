package io.isthmus.runtime.api;

import io.isthmus.runtime.generate.BeamParams;
import io.isthmus.runtime.generate.SamplingParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Concurrent requests to one engine are decoded together (their tokens interleave) and give the
 * same results as the same requests one after another: greedy, sampled with a seed, a beam search,
 * prompts of different lengths and token limits.
 */
class EngineBatchingTest {
    static final Path MODEL = Path.of("../examples/models/stories260K.gguf").toAbsolutePath().normalize();
    static Engine engine;

    @BeforeAll
    static void open() {
        engine = Engine.open(MODEL, EngineOptions.defaults().withThreads(2));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    static List<GenerationRequest> requests() {
        return List.of(
                GenerationRequest.of("Once upon a time").withMaxTokens(24).withIgnoreEos(true),
                GenerationRequest.of("Lily").withMaxTokens(12),
                GenerationRequest.of("The little dog was very happy because").withMaxTokens(30).withIgnoreEos(true)
                        .withSampling(SamplingParams.GREEDY.withTemperature(0.9).withTopP(0.95).withSeed(5)),
                GenerationRequest.of("Tom and Sue").withMaxTokens(16).withBeams(BeamParams.of(4)),
                GenerationRequest.ofTokens(new int[] {1, 403, 407}).withMaxTokens(20).withIgnoreEos(true));
    }

    @Test
    @Timeout(120)
    void concurrentRequestsAreBatchedAndMatchSequentialOnes() throws Exception {
        List<GenerationRequest> reqs = requests();
        List<GenerationResult> sequential = new ArrayList<>();
        for (GenerationRequest r : reqs) {
            sequential.add(engine.generate(r));
        }
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch allSubmitted = new CountDownLatch(1);
        List<Generation> running = new ArrayList<>();
        for (int i = 0; i < reqs.size(); i++) {
            int index = i;
            running.add(engine.submit(reqs.get(i), t -> {
                if (index == 0 && events.isEmpty()) {
                    try { // hold the engine's thread until every request is queued
                        allSubmitted.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                events.add(index + ":" + t.id());
            }));
        }
        allSubmitted.countDown();
        for (int i = 0; i < reqs.size(); i++) {
            GenerationResult r = running.get(i).await();
            assertArrayEquals(sequential.get(i).tokenIds(), r.tokenIds(), "request " + i);
            assertArrayEquals(sequential.get(i).promptTokenIds(), r.promptTokenIds());
            assertEquals(sequential.get(i).stopReason(), r.stopReason());
        }
        assertFalse(Double.isNaN(sequential.get(3).score()), "a beam search reports its score");
        int lastOfFirst = -1;
        int firstOfLast = -1;
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).startsWith("0:")) {
                lastOfFirst = i;
            }
            if (events.get(i).startsWith("4:") && firstOfLast < 0) {
                firstOfLast = i;
            }
        }
        assertTrue(firstOfLast < lastOfFirst, "the last request decoded while the first still ran: " + events);
    }

    @Test
    void aBadRequestFailsAloneAndTheOthersRun() throws Exception {
        Generation bad = engine.submit(GenerationRequest.ofTokens(new int[] {1, 1 << 20}), t -> { });
        Generation good = engine.submit(GenerationRequest.of("Lily").withMaxTokens(4), t -> { });
        assertThrows(IllegalArgumentException.class, bad::await);
        assertEquals(4, good.await().tokenIds().length);
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.ofTokens(new int[] {1}).withBeams(BeamParams.of(0)));
    }
}
