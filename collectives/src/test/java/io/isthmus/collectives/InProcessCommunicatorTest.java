package io.isthmus.collectives;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class InProcessCommunicatorTest {

    interface RankBody<T> {
        T run(InProcessCommunicator c) throws Exception;
    }

    /** Runs body on every rank of a new group, one thread each; results by rank (or the exception). */
    static <T> List<Object> onRanks(int n, Duration timeout, RankBody<T> body) throws Exception {
        InProcessCommunicator[] comms = InProcessCommunicator.group(n, timeout);
        ExecutorService ex = Executors.newFixedThreadPool(n);
        try {
            List<Future<T>> fs = new ArrayList<>();
            for (InProcessCommunicator c : comms) {
                fs.add(ex.submit(() -> body.run(c)));
            }
            List<Object> out = new ArrayList<>();
            for (Future<T> f : fs) {
                try {
                    out.add(f.get(20, TimeUnit.SECONDS));
                } catch (java.util.concurrent.ExecutionException e) {
                    out.add(e.getCause());
                }
            }
            return out;
        } finally {
            ex.shutdownNow();
        }
    }

    @Test
    void allReduceSumIsBitIdenticalOnEveryRankAndSumsInRankOrder() throws Exception {
        int n = 4;
        List<Object> out = onRanks(n, Duration.ofSeconds(10), c -> {
            float[] d = new float[7];
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) Math.pow(10, c.rank() * 3) * (i + 1) / 3f; // mixed magnitudes: order matters
            }
            c.allReduceSum(d, 1, 5);
            return d;
        });
        for (int i = 1; i < 6; i++) {
            float want = 0;
            for (int r = 0; r < n; r++) {
                want += (float) Math.pow(10, r * 3) * (i + 1) / 3f;
            }
            for (int r = 0; r < n; r++) {
                assertEquals(want, ((float[]) out.get(r))[i], 0f, "rank " + r + " element " + i);
            }
        }
        for (int r = 0; r < n; r++) {
            assertEquals((float) Math.pow(10, r * 3) / 3f, ((float[]) out.get(r))[0], 0f, "outside the range");
        }
    }

    @Test
    void bf16WireRoundsEachContributionBeforeSumming() throws Exception {
        float a = 1.00390625f + 1e-4f; // not representable in bf16
        List<Object> out = onRanks(2, Duration.ofSeconds(10), c -> {
            float[] d = {a};
            c.allReduceSum(d, 0, 1, WireType.BF16);
            return d[0];
        });
        float rounded = Bf16.round(a);
        assertNotEquals(a, rounded);
        assertEquals(rounded + rounded, (float) out.get(0), 0f);
        assertEquals(out.get(0), out.get(1));
        assertEquals(1.0f, Bf16.round(1.0f), 0f);
        assertEquals(Float.floatToIntBits(0x1.02p0f), Float.floatToIntBits(Bf16.round(0x1.01p0f + 0x1p-20f)));
    }

    @Test
    void allGatherPlacesContributionsInRankOrder() throws Exception {
        List<Object> out = onRanks(3, Duration.ofSeconds(10), c -> {
            float[] send = {-1, c.rank() * 10, c.rank() * 10 + 1};
            float[] recv = new float[8];
            c.allGather(send, 1, 2, recv, 1);
            return recv;
        });
        for (Object o : out) {
            assertArrayEquals(new float[] {0, 0, 1, 10, 11, 20, 21, 0}, (float[]) o);
        }
    }

    @Test
    void broadcastCopiesTheRootsBytesAndBarrierMeetsAll() throws Exception {
        List<Object> out = onRanks(4, Duration.ofSeconds(10), c -> {
            byte[] d = {(byte) c.rank(), (byte) c.rank(), (byte) c.rank()};
            c.barrier();
            c.broadcast(d, 1, 2, 2);
            c.barrier();
            return d;
        });
        for (int r = 0; r < 4; r++) {
            assertArrayEquals(new byte[] {(byte) r, 2, 2}, (byte[]) out.get(r));
        }
    }

    @Test
    void mismatchedLengthsFailOnEveryRank() throws Exception {
        List<Object> out = onRanks(2, Duration.ofSeconds(10), c -> {
            c.allReduceSum(new float[4], 0, c.rank() == 0 ? 4 : 3);
            return "returned";
        });
        for (Object o : out) {
            assertInstanceOf(IllegalArgumentException.class, o);
            assertTrue(((Exception) o).getMessage().contains("rank 0 passed 4"), ((Exception) o).getMessage());
        }
    }

    @Test
    void aRankThatNeverArrivesTimesOutTheOthers() throws Exception {
        long t0 = System.nanoTime();
        List<Object> out = onRanks(3, Duration.ofMillis(300), c -> {
            if (c.rank() == 2) {
                return "left without a word";
            }
            c.allReduceSum(new float[1], 0, 1);
            return "returned";
        });
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
        assertEquals("left without a word", out.get(2));
        for (int r = 0; r < 2; r++) {
            assertInstanceOf(IllegalStateException.class, out.get(r), "rank " + r);
        }
        String msgs = ((Exception) out.get(0)).getMessage() + ((Exception) out.get(1)).getMessage();
        assertTrue(msgs.contains("timed out"), msgs);
    }

    @Test
    void aRankThatFailsAndClosesBreaksTheGroupAtOnce() throws Exception {
        long t0 = System.nanoTime();
        List<Object> out = onRanks(3, Duration.ofSeconds(60), c -> {
            try (c) {
                if (c.rank() == 1) {
                    throw new IllegalStateException("rank 1 crashed");
                }
                c.barrier();
                return "returned";
            }
        });
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "no timeout needed");
        for (int r : new int[] {0, 2}) {
            Exception e = assertInstanceOf(IllegalStateException.class, out.get(r));
            assertTrue(e.getMessage().contains("rank 1 closed"), e.getMessage());
        }
    }

    @Test
    void aGroupOfOneIsTheIdentity() {
        InProcessCommunicator c = InProcessCommunicator.group(1)[0];
        float[] d = {1, 2};
        c.allReduceSum(d, 0, 2, WireType.F32);
        assertArrayEquals(new float[] {1, 2}, d);
        float[] r = new float[2];
        c.allGather(d, 0, 2, r, 0);
        assertArrayEquals(d, r);
        assertEquals(1, c.worldSize());
    }
}
