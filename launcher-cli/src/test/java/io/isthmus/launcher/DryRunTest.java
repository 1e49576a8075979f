package io.isthmus.launcher;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static io.isthmus.launcher.BadInputTest.run;
import static org.junit.jupiter.api.Assertions.*;

/** {@code --dry-run} on recorded sysfs trees: DeepSpeed's split, SNC nodes, core lists, shard sizes. */
class DryRunTest {
    static final String MODEL = BadInputTest.MODEL.toString();
    static final Path TREES = Path.of("../numa/src/test/resources/sysfs").toAbsolutePath().normalize();

    static String dryRun(String tree, String... launch) {
        String[] args = new String[launch.length + 4];
        System.arraycopy(launch, 0, args, 0, launch.length);
        args[launch.length] = "--dry-run";
        args[launch.length + 1] = "--sysfs-root";
        args[launch.length + 2] = TREES.resolve(tree).toString();
        args[launch.length + 3] = MODEL;
        BadInputTest.Outcome o = run(args);
        assertEquals(0, o.code(), o.err());
        return o.out();
    }

    @Test
    void twoSocketXeonSplitsPhysicalCoresPerSocket() {
        String out = dryRun("xeon-2s-smt2", "--bind-cores-to-rank");
        assertTrue(out.contains("rank 0: cores 0-27 (28), node 0"), out);
        assertTrue(out.contains("rank 1: cores 28-55 (28), node 1"), out);
        assertTrue(out.contains("numactl --physcpubind=28-55 --membind=1"), out);
        assertTrue(out.contains("OMP_NUM_THREADS=28"), out);
        assertTrue(out.contains("shards of 2 rank(s):"), out);
        // stories260K: 8 heads and 4 KV heads split in halves
        assertTrue(out.contains("rank 1: heads 4 (from 4), kv heads 2 (from 2)"), out);
    }

    @Test
    void fourRanksOnSubNumaClusteringUseFourNodes() {
        String out = dryRun("xeon-2s-snc2", "--bind-cores-to-rank", "--num-ranks", "4");
        assertTrue(out.contains("rank 0: cores 0-13 (14), node 0"), out);
        assertTrue(out.contains("rank 1: cores 14-27 (14), node 1"), out);
        assertTrue(out.contains("rank 2: cores 28-41 (14), node 2"), out);
        assertTrue(out.contains("rank 3: cores 42-55 (14), node 3"), out);
    }

    @Test
    void coreListIsSplitEvenly() {
        String out = dryRun("xeon-2s-smt2", "--bind-core-list", "0-3", "--num-ranks", "2");
        assertTrue(out.contains("rank 0: cores 0-1 (2), node 0"), out);
        assertTrue(out.contains("rank 1: cores 2-3 (2), node 0"), out);
    }

    @Test
    void secondHostOfTwoNumbersItsRanksAfterTheFirstHosts() {
        String out = dryRun("xeon-2s-smt2", "--bind-cores-to-rank", "--hosts", "2", "--host-rank", "1",
                "--master-addr", "10.0.0.1", "--master-port", "29500");
        assertTrue(out.contains("host 1 of 2 (master 10.0.0.1:29500): local ranks 0..1 below are global ranks 2..3 of 4"), out);
        assertTrue(out.contains("rank 1: cores 28-55 (28), node 1"), out);
        assertTrue(out.contains("shards of 4 rank(s):"), out);
        assertTrue(out.contains("rank 3: heads 2 (from 6), kv heads 1 (from 3)"), out);
    }

    @Test
    void severalHostsNeedTheMasterAddress() {
        BadInputTest.Outcome o = run("--hosts", "2", "--host-rank", "1", "--dry-run", MODEL);
        assertNotEquals(0, o.code());
        assertTrue(o.err().contains("needs --master-addr"), o.err());
        o = run("--hosts", "2", "--host-rank", "2", "--master-addr", "h", "--master-port", "1", "--dry-run", MODEL);
        assertNotEquals(0, o.code());
        assertTrue(o.err().contains("--host-rank 2 is not one of the 2 hosts"), o.err());
    }

    @Test
    void unevenCoreListIsAnError() {
        BadInputTest.Outcome o = run("--bind-core-list", "0-4", "--num-ranks", "2", "--dry-run", "--sysfs-root",
                TREES.resolve("xeon-2s-smt2").toString(), MODEL);
        assertNotEquals(0, o.code());
        assertTrue(o.err().contains("5 cores"), o.err());
    }

    /** Two ranks for real: this JVM is rank 0, rank 1 a worker JVM bound to CPU 1. */
    @Test
    void twoRanksGenerateTheSameTokensAsOne() {
        BadInputTest.Outcome o = run("--bind-core-list", "0-1", "--num-ranks", "2", MODEL,
                "--prompt", "Once upon a time", "--max-tokens", "8", "--json");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("\"token_ids\":[432,383,286,261,376,298,315,421]"), o.out());
        assertTrue(o.out().contains("\"world_size\":2"), o.out());
    }

    /** Four ranks on this 2-core machine: neighbouring ranks share a core. */
    @Test
    void fourRanksOnTwoCoresGenerateTheSameTokens() {
        BadInputTest.Outcome o = run("--bind-core-list", "0-1", "--num-ranks", "4", MODEL,
                "--prompt", "Once upon a time", "--max-tokens", "8", "--json");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("\"token_ids\":[432,383,286,261,376,298,315,421]"), o.out());
        assertTrue(o.out().contains("\"world_size\":4"), o.out());
    }
}
