package io.isthmus.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ComputePoolTest {

    @Test
    void runsEveryIndexExactlyOnce() {
        for (int threads : new int[] {1, 2, 3, 5}) {
            try (ComputePool pool = new ComputePool(threads)) {
                assertEquals(threads, pool.size());
                for (int n : new int[] {0, 1, 2, 7, 16, 17, 100, 1000, 4099}) {
                    for (int grain : new int[] {1, 4, 16}) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(n);
                        pool.parallelFor(n, grain, (from, to, worker) -> {
                            assertTrue(from < to);
                            assertTrue(from % grain == 0, "range start aligned to the grain");
                            int chunks = Math.ceilDiv(n, grain);
                            boolean aShare = false; // [from, to) is one worker's share, whoever runs it
                            for (int w = 0; w < threads; w++) {
                                aShare |= from == (int) ((long) chunks * w / threads) * grain
                                        && to == Math.min(n, (int) ((long) chunks * (w + 1) / threads) * grain);
                            }
                            assertTrue(aShare, "[" + from + ", " + to + ") is not a share of " + n);
                            for (int i = from; i < to; i++) {
                                hits.incrementAndGet(i);
                            }
                        });
                        for (int i = 0; i < n; i++) {
                            assertEquals(1, hits.get(i), "index " + i + " of " + n + " with grain " + grain);
                        }
                    }
                }
            }
        }
    }

    @Test
    void balancedRegionsRunEveryIndexExactlyOnce() {
        for (int threads : new int[] {1, 2, 3, 5}) {
            try (ComputePool pool = new ComputePool(threads)) {
                for (int n : new int[] {0, 1, 2, 7, 16, 17, 100, 1000, 4099}) {
                    for (int grain : new int[] {1, 4, 16}) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(n);
                        pool.parallelForBalanced(n, grain, (from, to, worker) -> {
                            assertTrue(from < to && to <= n);
                            assertTrue(from % grain == 0, "range start aligned to the grain");
                            for (int i = from; i < to; i++) {
                                hits.incrementAndGet(i);
                            }
                        });
                        for (int i = 0; i < n; i++) {
                            assertEquals(1, hits.get(i), "index " + i + " of " + n + " with grain " + grain);
                        }
                    }
                }
            }
        }
    }

    @Test
    void balancedRegionGivesASlowWorkersChunksToTheOthers() {
        try (ComputePool pool = new ComputePool(2)) {
            int n = 1600;
            int[] ranBy = new int[n];
            pool.parallelForBalanced(n, 16, (from, to, worker) -> {
                if (worker == 1) { // a CPU taken away for a while
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                for (int i = from; i < to; i++) {
                    ranBy[i] = worker;
                }
            });
            int byCaller = 0;
            for (int i = n / 2; i < n; i++) {
                byCaller += ranBy[i] == 0 ? 1 : 0;
            }
            // worker 1 sleeps through each chunk it claims: the caller takes most of its share
            assertTrue(byCaller >= n / 4, "the caller ran " + byCaller + " of the slow worker's " + n / 2 + " indices");
        }
    }

    @Test
    @Timeout(30) // a join that waited for the late worker would hang here
    void regionsEndWithoutAWorkerThatIsLateToSeeThem() throws Exception {
        CountDownLatch lateWorkerMayGo = new CountDownLatch(1);
        AtomicInteger regionsSeenBy1 = new AtomicInteger();
        try (ComputePool pool = new ComputePool(2, worker -> {
            if (worker == 1 && regionsSeenBy1.getAndIncrement() == 0) { // off its CPU as the first region starts
                try {
                    lateWorkerMayGo.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        })) {
            for (boolean balanced : new boolean[] {false, true}) {
                int n = 1000;
                AtomicIntegerArray ranBy = new AtomicIntegerArray(n);
                ComputePool.RangeTask task = (from, to, worker) -> {
                    for (int i = from; i < to; i++) {
                        ranBy.addAndGet(i, worker + 1);
                    }
                };
                if (balanced) {
                    pool.parallelForBalanced(n, 10, task);
                } else {
                    pool.parallelFor(n, 10, task);
                }
                for (int i = 0; i < n; i++) {
                    assertEquals(1, ranBy.get(i), "index " + i + " ran once, by the caller");
                }
            }
            lateWorkerMayGo.countDown(); // it now looks at the first region, long done: nothing to run
            AtomicIntegerArray hits = new AtomicIntegerArray(4000);
            boolean[] byWorker1 = new boolean[1];
            for (int rep = 0; rep < 200 && !byWorker1[0]; rep++) {
                pool.parallelFor(4000, (from, to, worker) -> {
                    byWorker1[0] |= worker == 1;
                    for (int i = from; i < to; i++) {
                        hits.incrementAndGet(i);
                    }
                });
            }
            assertTrue(byWorker1[0], "the late worker takes part in later regions");
            for (int i = 0; i < 4000; i++) {
                assertTrue(hits.get(i) >= 1 && hits.get(i) == hits.get(0), "index " + i);
            }
        }
    }

    @Test
    void manyRegionsBackToBack() {
        try (ComputePool pool = new ComputePool(2)) {
            long[] sums = new long[2];
            for (int rep = 0; rep < 20_000; rep++) {
                pool.parallelFor(64, (from, to, w) -> sums[w] += to - from);
            }
            assertEquals(20_000L * 64, sums[0] + sums[1]);
        }
    }

    @Test
    void propagatesWorkerExceptions() {
        try (ComputePool pool = new ComputePool(3)) {
            IllegalStateException boom = new IllegalStateException("boom");
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> pool.parallelFor(300, (from, to, w) -> {
                        if (from == 200) { // the last share, whichever worker runs it
                            throw boom;
                        }
                    }));
            assertSame(boom, e);
            assertThrows(ArithmeticException.class, () -> pool.parallelFor(300, (from, to, w) -> {
                if (from == 0) {
                    throw new ArithmeticException("the caller's share");
                }
            }));
            // still usable afterwards
            AtomicIntegerArray hits = new AtomicIntegerArray(300);
            pool.parallelFor(300, (from, to, w) -> {
                for (int i = from; i < to; i++) {
                    hits.incrementAndGet(i);
                }
            });
            for (int i = 0; i < 300; i++) {
                assertEquals(1, hits.get(i));
            }
        }
    }

    @Test
    void nestedRegionsRunInline() {
        try (ComputePool pool = new ComputePool(2)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(100);
            pool.parallelFor(10, (from, to, w) -> {
                for (int i = from; i < to; i++) {
                    int base = i * 10;
                    pool.parallelFor(10, (f, t, w2) -> {
                        for (int j = f; j < t; j++) {
                            hits.incrementAndGet(base + j);
                        }
                    });
                }
            });
            for (int i = 0; i < 100; i++) {
                assertEquals(1, hits.get(i));
            }
        }
    }

    @Test
    void callersAreNotPinned() {
        io.isthmus.numa.CpuSet before = io.isthmus.numa.Affinity.currentAffinity();
        try (ComputePool pool = new ComputePool(Math.min(2, before.size()))) {
            pool.parallelFor(100, (f, t, w) -> { });
            assertEquals(before, io.isthmus.numa.Affinity.currentAffinity(), "parallelFor changed the caller's mask");
        }
    }

    @Test
    void driverThreadIsPinnedToWorkerZerosCpu() throws Exception {
        io.isthmus.numa.CpuSet allowed = io.isthmus.numa.Affinity.currentAffinity();
        try (ComputePool pool = new ComputePool(allowed, true)) {
            io.isthmus.numa.CpuSet[] seen = new io.isthmus.numa.CpuSet[1];
            Thread driver = new Thread(() -> {
                pool.pinAsDriver();
                seen[0] = io.isthmus.numa.Affinity.currentAffinity();
            });
            driver.start();
            driver.join();
            assertEquals(io.isthmus.numa.CpuSet.of(allowed.toArray()[0]), seen[0]);
        }
    }

    @Test
    void closedPoolRefusesWork() {
        ComputePool pool = new ComputePool(2);
        pool.close();
        assertThrows(IllegalStateException.class, () -> pool.parallelFor(100, (f, t, w) -> { }));
    }

    @Test
    void forkJoinCostIsMeasured() {
        try (ComputePool pool = new ComputePool(2)) {
            long median = PoolBenchmark.medianRegionNanos(pool, 20_000);
            assertTrue(median > 0 && median < 1_000_000, "median fork-join " + median + " ns");
        }
    }
}
