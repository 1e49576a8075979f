package io.isthmus.launcher;

import io.isthmus.collectives.tcp.FreePorts;
import io.isthmus.runtime.cluster.JvmFlags;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.isthmus.launcher.BadInputTest.MODEL;
import static io.isthmus.launcher.BadInputTest.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code launcher --hosts 2} as two hosts of this machine: host 1 is a child JVM running the
 * launcher's main (it only follows), host 0 runs {@code generate --json} in this JVM.
 */
class MultiHostCliTest {

    @Test
    void twoHostsGenerateWhatOneHostDoes() throws Exception {
        int port = FreePorts.belowEphemeralRange();
        List<String> host1 = new ArrayList<>();
        host1.add(ProcessHandle.current().info().command().orElseThrow());
        host1.addAll(JvmFlags.current());
        host1.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--hosts", "2", "--host-rank", "1", "--master-addr", "127.0.0.1", "--master-port", String.valueOf(port),
                "--bind-core-list", "1", MODEL.toString()));
        Process follower = new ProcessBuilder(host1).redirectErrorStream(true).start();
        try {
            BadInputTest.Outcome two = run("--hosts", "2", "--host-rank", "0", "--master-addr", "127.0.0.1",
                    "--master-port", String.valueOf(port), "--bind-core-list", "0", MODEL.toString(),
                    "--prompt", "Once upon a time", "--max-tokens", "16", "--json", "--warm-up-ms", "0");
            assertEquals(0, two.code(), two.err());
            assertTrue(follower.waitFor(15, TimeUnit.SECONDS), "host 1 did not end with the job");
            String log = new String(follower.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, follower.exitValue(), log);
            assertTrue(log.contains("host 1 of 2 (master 127.0.0.1:" + port + "): starting 1 rank(s)"), log);
            assertTrue(two.out().contains("\"world_size\":2"), two.out());
            BadInputTest.Outcome one = run(MODEL.toString(), "--prompt", "Once upon a time", "--max-tokens", "16",
                    "--json", "--warm-up-ms", "0");
            assertEquals(tokenIds(one.out()), tokenIds(two.out()));
        } finally {
            follower.descendants().forEach(ProcessHandle::destroyForcibly);
            follower.destroyForcibly();
        }
    }

    private static String tokenIds(String json) {
        int from = json.indexOf("\"token_ids\":");
        return json.substring(from, json.indexOf(']', from) + 1);
    }

    @Test
    void benchStaysOnOneHost() {
        BadInputTest.Outcome o = run("--hosts", "2", "--host-rank", "0", "--master-addr", "127.0.0.1",
                "--master-port", "29500", MODEL.toString(), "bench");
        assertNotEquals(0, o.code());
        assertTrue(o.err().contains("--hosts is for generate"), o.err());
    }
}
