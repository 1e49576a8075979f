package io.isthmus.runtime.cluster;

import io.isthmus.collectives.tcp.FreePorts;
import io.isthmus.numa.CoreList;
import io.isthmus.numa.RankPlanner;
import io.isthmus.numa.Topology;
import io.isthmus.runtime.api.Engine;
import io.isthmus.runtime.api.EngineOptions;
import io.isthmus.runtime.api.Generation;
import io.isthmus.runtime.api.GenerationRequest;
import io.isthmus.runtime.testing.SharedFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A job on two "hosts" of this machine: this JVM is host 0 (the driver and its local ranks), a
 * child JVM is host 1's launcher ({@link TestHostFollowers}) with its own job directory; the hosts'
 * leaders talk over loopback TCP, each host's ranks through its own shared memory.
 */
class MultiHostEngineTest {
    private final List<String> hostOutput = Collections.synchronizedList(new ArrayList<>());
    private Process host1;

    @AfterEach
    void stopHost1() throws Exception {
        if (host1 != null && host1.isAlive()) {
            host1.descendants().forEach(ProcessHandle::destroyForcibly);
            host1.destroyForcibly();
            host1.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** Starts host 1 of a two-host job with {@code ranks} ranks on {@code cores}. */
    private void startHost1(Path model, int port, String cores, int ranks) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(WorkerCommand.javaBinary());
        cmd.addAll(JvmFlags.current());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), TestHostFollowers.class.getName(),
                model.toString(), "2", "1", String.valueOf(port), cores, String.valueOf(ranks)));
        host1 = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(host1.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    hostOutput.add(line);
                }
            } catch (IOException ignored) {
                // the process is gone
            }
        });
    }

    private static EngineOptions host0(int port, String cores, int ranks) {
        var plan = new RankPlanner(Topology.live()).bindCoreList(CoreList.parse(cores), ranks);
        return EngineOptions.defaults().withRankPlan(plan).withWarmUpMillis(0)
                .withHosts(new HostLayout(2, 0, "127.0.0.1", port));
    }

    private static List<Path> jobDirectories(long pid) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/dev/shm"))) {
            return s.filter(p -> p.getFileName().toString().matches("isthmus-(host\\d+-)?" + pid + "-?.*")).toList();
        }
    }

    @Test
    void twoHostsOfOneRankEachGiveTheGoldenIdsAndLeaveNothingBehind() throws Exception {
        int port = FreePorts.belowEphemeralRange();
        startHost1(MultiProcessEngineTest.MODEL, port, "1", 1);
        try (Engine engine = Engine.open(MultiProcessEngineTest.MODEL, host0(port, "0", 1))) {
            assertEquals(2, engine.worldSize());
            for (int i = 0; i < 2; i++) { // a second request on the same job
                assertArrayEquals(MultiProcessEngineTest.GOLDEN, engine.generate(GenerationRequest.of("Once upon a time")
                        .withMaxTokens(MultiProcessEngineTest.GOLDEN.length)).tokenIds());
            }
        }
        assertTrue(host1.waitFor(10, TimeUnit.SECONDS), "host 1 did not end with the job: " + hostOutput);
        assertEquals(0, host1.exitValue(), String.join("\n", hostOutput));
        assertEquals(List.of(), host1.descendants().filter(ProcessHandle::isAlive).toList());
        assertEquals(List.of(), jobDirectories(ProcessHandle.current().pid()));
        assertEquals(List.of(), jobDirectories(host1.pid()));
    }

    @Test
    void twoHostsOfTwoRanksEachMatchOneRankOnTheGqaModel() throws Exception {
        Path model = SharedFiles.require("models/prose-llama-35m/prose-llama-35m-f16.gguf");
        GenerationRequest req = GenerationRequest.of("The President said").withMaxTokens(16);
        int[] one;
        try (Engine single = Engine.open(model, EngineOptions.defaults().withThreads(1).withWarmUpMillis(0))) {
            one = single.generate(req).tokenIds();
        }
        int port = FreePorts.belowEphemeralRange();
        startHost1(model, port, "0-1", 2);
        try (Engine engine = Engine.open(model, host0(port, "0-1", 2))) {
            assertEquals(4, engine.worldSize());
            assertArrayEquals(one, engine.generate(req).tokenIds());
        }
        assertTrue(host1.waitFor(10, TimeUnit.SECONDS), "host 1 did not end with the job: " + hostOutput);
        assertEquals(0, host1.exitValue(), String.join("\n", hostOutput));
    }

    @Test
    void aRankKilledOnTheOtherHostEndsTheJob() throws Exception {
        int port = FreePorts.belowEphemeralRange();
        startHost1(MultiProcessEngineTest.MODEL, port, "1", 1);
        Engine engine = Engine.open(MultiProcessEngineTest.MODEL, host0(port, "0", 1));
        try {
            Generation g = engine.submit(GenerationRequest.of("Once upon a time").withMaxTokens(1_000_000)
                    .withIgnoreEos(true), t -> { });
            Thread.sleep(500);
            ProcessHandle remoteRank = host1.descendants().filter(ProcessHandle::isAlive).findFirst().orElseThrow();
            long start = System.nanoTime();
            remoteRank.destroyForcibly();
            RuntimeException e = assertThrows(RuntimeException.class, g::await);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(seconds < 5, "took " + seconds + " s: " + e);
            assertTrue(String.valueOf(e.getMessage()).contains("lost the link between the hosts"), e.toString());
        } finally {
            engine.close();
        }
        assertTrue(host1.waitFor(10, TimeUnit.SECONDS), "host 1 did not stop: " + hostOutput);
        assertNotEquals(0, host1.exitValue());
        assertTrue(String.join("\n", hostOutput).contains("rank 1"), String.join("\n", hostOutput));
        assertEquals(List.of(), jobDirectories(ProcessHandle.current().pid()));
        assertEquals(List.of(), jobDirectories(host1.pid()));
    }
}
