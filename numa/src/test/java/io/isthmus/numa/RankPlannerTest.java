package io.isthmus.numa;

import static io.isthmus.numa.TopologyTest.recordedTopology;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

class RankPlannerTest {

    @TempDir
    Path tmp;

    private static RankPlanner planner(String tree) {
        return new RankPlanner(recordedTopology(tree));
    }

    private static List<CpuSet> cores(RankPlan plan) {
        return plan.ranks().stream().map(RankPlan.Rank::cores).toList();
    }

    private static List<Integer> nodes(RankPlan plan) {
        return plan.ranks().stream().map(RankPlan.Rank::node).toList();
    }

    private static List<CpuSet> sets(String... lists) {
        return List.of(lists).stream().map(CpuSet::parse).toList();
    }

    @Test
    void oneRankPerSocketByDefault() {
        RankPlan plan = planner(SysfsTrees.XEON_2S_SMT2).bindCoresToRank();
        assertEquals(2, plan.worldSize());
        assertEquals(sets("0-27", "28-55"), cores(plan));
        assertEquals(List.of(0, 1), nodes(plan));
        assertTrue(plan.notes().isEmpty(), plan.notes().toString());

        RankPlan.Rank r1 = plan.rank(1);
        assertEquals(List.of("--physcpubind=28-55", "--membind=1"), r1.numactlArguments());
        Map<String, String> env = r1.environment();
        assertEquals(List.of("ISTHMUS_RANK", "ISTHMUS_WORLD_SIZE", "ISTHMUS_CORES", "ISTHMUS_NODE",
                "OMP_NUM_THREADS", "OMP_PLACES"), List.copyOf(env.keySet()));
        assertEquals("1", env.get("ISTHMUS_RANK"));
        assertEquals("2", env.get("ISTHMUS_WORLD_SIZE"));
        assertEquals("28-55", env.get("ISTHMUS_CORES"));
        assertEquals("1", env.get("ISTHMUS_NODE"));
        assertEquals("28", env.get("OMP_NUM_THREADS"));
        assertTrue(env.get("OMP_PLACES").startsWith("{28},{29},{30},"), env.get("OMP_PLACES"));
        assertTrue(env.get("OMP_PLACES").endsWith(",{55}"), env.get("OMP_PLACES"));
    }

    @Test
    void fourRanksSplitEachSocketInHalves() {
        RankPlan plan = planner(SysfsTrees.XEON_2S_SMT2).bindCoresToRank(4);
        assertEquals(sets("0-13", "14-27", "28-41", "42-55"), cores(plan));
        assertEquals(List.of(0, 0, 1, 1), nodes(plan));
        assertEquals("4", plan.rank(3).environment().get("ISTHMUS_WORLD_SIZE"));
    }

    @Test
    void subNumaClusteringGivesEachRankItsOwnNode() {
        RankPlan plan = planner(SysfsTrees.XEON_2S_SNC2).bindCoresToRank(4);
        assertEquals(sets("0-13", "14-27", "28-41", "42-55"), cores(plan));
        assertEquals(List.of(0, 1, 2, 3), nodes(plan));
        assertFalse(plan.ranks().stream().anyMatch(RankPlan.Rank::spansNodes));
        assertTrue(plan.notes().isEmpty(), plan.notes().toString());
    }

    @Test
    void subNumaClusteringWithOneRankPerSocketSpansTwoNodes() {
        RankPlan plan = planner(SysfsTrees.XEON_2S_SNC2).bindCoresToRank();
        assertEquals(sets("0-27", "28-55"), cores(plan));
        // 14 cores on each node: the lower node wins the tie
        assertEquals(List.of(0, 2), nodes(plan));
        assertEquals(List.of(0, 1), plan.rank(0).nodesSpanned());
        assertEquals(List.of(2, 3), plan.rank(1).nodesSpanned());
        assertEquals(2, plan.notes().size(), plan.notes().toString());
        assertEquals("rank 1: cores 28-55 span nodes 2,3; memory bound to node 2, which holds 14 of the 28"
                + " (the most; the lowest node on a tie)", plan.notes().get(1));
        assertTrue(plan.describe().contains("rank 0: cores 0-27 (28), node 0 (cores on nodes 0,1)"),
                plan.describe());
    }

    @Test
    void nodeHoldingMostOfTheCoresIsChosen() {
        RankPlan plan = planner(SysfsTrees.XEON_2S_SNC2).bindCoreList(CpuSet.parse("12-17,70"), 1);
        // 2 cores on node 0, 5 on node 1
        assertEquals(List.of(1), nodes(plan));
        assertEquals(List.of(0, 1), plan.rank(0).nodesSpanned());
    }

    @Test
    void coreListIsSplitInOrder() {
        RankPlan plan = planner(SysfsTrees.XEON_2S_SMT2).bindCoreList(CpuSet.parse("0-3"), 2);
        assertEquals(List.of(CpuSet.of(0, 1), CpuSet.of(2, 3)), cores(plan));
        assertEquals(List.of(0, 0), nodes(plan));
        assertEquals("{2},{3}", plan.rank(1).ompPlaces());
        assertEquals("2", plan.rank(1).environment().get("OMP_NUM_THREADS"));
    }

    @Test
    void moreRanksThanListedCoresShareThemInOrder() {
        RankPlan plan = planner(SysfsTrees.XEON_2S_SMT2).bindCoreList(CpuSet.parse("0-1"), 4);
        assertEquals(sets("0", "0", "1", "1"), cores(plan));
        assertTrue(plan.notes().getFirst().contains("2 ranks share each core"), plan.notes().toString());
        assertThrows(IllegalArgumentException.class,
                () -> planner(SysfsTrees.XEON_2S_SMT2).bindCoreList(CpuSet.parse("0-1"), 3));
    }

    @Test
    void coreListKeepsSiblingsAsGiven() {
        RankPlan plan = planner(SysfsTrees.XEON_2S_SMT2).bindCoreList(CpuSet.parse("0,56,28,84"), 2);
        assertEquals(sets("0,28", "56,84"), cores(plan));
        // each rank has one CPU on each node: the lower node wins the tie
        assertEquals(List.of(0, 0), nodes(plan));
        assertTrue(plan.rank(0).spansNodes(), "CPUs 0 and 28 are on two sockets");
    }

    @Test
    void vmUsesItsOnlineCpus() {
        RankPlanner p = planner(SysfsTrees.VM_1S);
        assertEquals(1, p.defaultRanks());
        RankPlan one = p.bindCoresToRank();
        assertEquals(sets("0-2"), cores(one));
        assertEquals(List.of(0), nodes(one));
        RankPlan two = p.bindCoresToRank(2);
        assertEquals(sets("0", "1"), cores(two));
        assertEquals(1, two.notes().size());
        assertTrue(two.notes().get(0).contains("socket 0: 1 of 3 physical cores left unused (2 ranks of 1)"), two.notes().get(0));
        assertEquals(sets("0", "1", "2"), cores(p.bindCoreList(CpuSet.range(0, 2), 3)));
    }

    @Test
    void isolatedCpusOnlyWhenListed() {
        Topology t = Topology.read(SysfsTrees.named(SysfsTrees.XEON_2S_SMT2)
                .put(SysfsTree.CPU_DIR + "/isolated", "0-1,56-57").writeTo(tmp));
        RankPlanner p = new RankPlanner(t);
        RankPlan auto = p.bindCoresToRank(2);
        // equal ranks: socket 1 gives as many cores as socket 0 has left
        assertEquals(sets("2-27", "28-53"), cores(auto));
        assertEquals(List.of("socket 1: 2 of 28 physical cores left unused (1 rank of 26)"), auto.notes());
        assertEquals(sets("0", "1"), cores(p.bindCoreList(CpuSet.of(0, 1), 2)));
    }

    @Test
    void errorsSayWhatIsWrong() {
        RankPlanner xeon = planner(SysfsTrees.XEON_2S_SMT2);
        assertError(() -> xeon.bindCoresToRank(3), "3 ranks do not spread evenly over 2 sockets");
        assertError(() -> xeon.bindCoresToRank(0), "at least 1");
        assertError(() -> xeon.bindCoresToRank(58), "socket 0 has 28 usable physical cores for 29 ranks");
        assertError(() -> xeon.bindCoreList(CpuSet.of(), 1), "empty core list");
        assertError(() -> xeon.bindCoreList(CpuSet.range(0, 4), 2), "5 cores do not split evenly into 2 ranks");
        assertError(() -> xeon.bindCoreList(CpuSet.of(0, 200), 2), "no CPU 200");
        RankPlanner vm = planner(SysfsTrees.VM_1S);
        assertError(() -> vm.bindCoreList(CpuSet.range(0, 3), 2), "CPU 3 is offline");
    }

    private static void assertError(Executable call, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, expected);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void describeShowsEveryRank() {
        String text = planner(SysfsTrees.XEON_2S_SMT2).bindCoresToRank().describe();
        assertTrue(text.startsWith("plan: 2 ranks, --bind-cores-to-rank"), text);
        assertTrue(text.contains("rank 0: cores 0-27 (28), node 0\n"), text);
        assertTrue(text.contains("rank 1: cores 28-55 (28), node 1\n"), text);
        assertTrue(text.contains("  numactl --physcpubind=28-55 --membind=1\n"), text);
        assertTrue(text.contains("  ISTHMUS_CORES=0-27\n"), text);
        assertFalse(text.contains("note:"), text);
    }

    @Test
    void liveMachinePlansUseEveryAllowedCpuOnce() {
        Topology t = Topology.live();
        CpuSet allowed = Affinity.currentAffinity().intersection(t.schedulable());
        RankPlan plan = new RankPlanner(t).bindCoreList(allowed, 1);
        assertEquals(List.of(allowed), cores(plan));
        // automatic plan: physical cores only, each in exactly one rank, no sibling of another
        RankPlan auto = new RankPlanner(t).bindCoresToRank();
        CpuSet used = CpuSet.of();
        for (RankPlan.Rank r : auto.ranks()) {
            assertTrue(r.cores().intersection(used).isEmpty(), "rank " + r.rank() + " overlaps");
            for (int c : r.cores().toArray()) {
                assertEquals(CpuSet.of(c), t.siblingsOf(c).intersection(r.cores().union(used)),
                        "CPU " + c + " shares its core with another planned CPU");
                assertTrue(t.nodeOf(c) == r.node() || r.spansNodes());
            }
            used = used.union(r.cores());
        }
        assertTrue(used.isSubsetOf(t.schedulable()));
    }
}
