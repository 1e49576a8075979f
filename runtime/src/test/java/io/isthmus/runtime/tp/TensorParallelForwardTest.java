package io.isthmus.runtime.tp;

import io.isthmus.collectives.Communicator;
import io.isthmus.collectives.InProcessCommunicator;
import io.isthmus.numa.CpuSet;
import io.isthmus.runtime.kernel.ComputePool;
import io.isthmus.runtime.model.KvCache;
import io.isthmus.runtime.model.KvCacheType;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.Transformer;
import io.isthmus.runtime.tensor.GgmlType;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The sharded forward pass against the whole model on a random model whose splits are all uneven
 * or partial: 6 heads over 3 ranks with 2 KV heads (rank 1 reads both), a vocabulary of 101 (34,
 * 34, 33 logits, padded for the allgather), ffn 100, biases on every projection (row-parallel ones
 * on rank 0 only), every token's logits of a prefill and then decode steps.
 */
class TensorParallelForwardTest {
    private static final int[] TOKENS = {3, 99, 17, 42, 0, 100, 7, 64};
    private static final int PREFILL = 5;

    /** All logits of the prefill, then the logits of each decode step, concatenated. */
    private static float[] run(Transformer t) {
        int vocab = t.config().vocabSize();
        float[] out = new float[TOKENS.length * vocab];
        KvCache cache = t.newCache(KvCacheType.F32, TOKENS.length);
        t.forward(cache, TOKENS, 0, PREFILL, 0, out, true);
        float[] step = new float[vocab];
        for (int pos = PREFILL; pos < TOKENS.length; pos++) {
            t.forward(cache, TOKENS, pos, 1, pos, step, false);
            System.arraycopy(step, 0, out, pos * vocab, vocab);
        }
        return out;
    }

    private static float[][] onRanks(ModelWeights model, int n) throws Exception {
        ShardPlan plan = ShardPlanner.plan(model, n);
        InProcessCommunicator[] comms = InProcessCommunicator.group(n, Duration.ofSeconds(30));
        ExecutorService ex = Executors.newFixedThreadPool(n);
        try {
            List<Future<float[]>> fs = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                int rank = r;
                fs.add(ex.submit(() -> {
                    try (ShardLoader.RankWeights w = ShardLoader.load(model, plan, rank);
                         ComputePool pool = new ComputePool(CpuSet.of(0), false)) {
                        return run(new Transformer(w.weights(), w.dims(), pool, comms[rank]));
                    }
                }));
            }
            float[][] out = new float[n][];
            for (int r = 0; r < n; r++) {
                out[r] = fs.get(r).get(60, TimeUnit.SECONDS);
            }
            return out;
        } finally {
            ex.shutdownNow();
        }
    }

    private static float[] whole(ModelWeights model) {
        try (ComputePool pool = new ComputePool(CpuSet.of(0), false)) {
            return run(new Transformer(model, pool));
        }
    }

    @Test
    void threeAndTwoRanksComputeTheWholeModelsLogits() throws Exception {
        try (ModelWeights m = SyntheticModel.build(SyntheticModel.llama(48, 100, 6, 2, 101), GgmlType.F32, 11)) {
            float[] want = whole(m);
            for (int n : new int[] {2, 3}) {
                float[][] got = onRanks(m, n);
                for (int r = 0; r < n; r++) {
                    assertArrayEquals(got[0], got[r], 0f, "every rank gathers the same logits");
                }
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[0][i], 1e-4f * Math.max(1, Math.abs(want[i])),
                            n + " ranks: logit " + i % 101 + " of token " + i / 101);
                }
            }
        }
    }

    @Test
    void oneRankThroughThePlannerComputesTheWholeModel() {
        try (ModelWeights m = SyntheticModel.build(SyntheticModel.llama(48, 100, 6, 2, 101), GgmlType.F32, 12);
             ShardLoader.RankWeights w = ShardLoader.load(m, ShardPlanner.plan(m, 1), 0);
             ComputePool pool = new ComputePool(CpuSet.of(0), false)) {
            float[] want = whole(m);
            float[] got = run(new Transformer(w.weights(), w.dims(), pool, Communicator.single()));
            // the same operations in the same order; not asserted bit for bit, because a kernel the JIT
            // compiles between the two runs sums its vector lanes in another order than before
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-5f * Math.max(1, Math.abs(want[i])), "logit " + i % 101 + " of token " + i / 101);
            }
        }
    }

    @Test
    void aRankOfTheWrongCommunicatorIsRefused() {
        try (ModelWeights m = SyntheticModel.build(SyntheticModel.llama(48, 100, 6, 2, 101), GgmlType.F32, 13);
             ShardLoader.RankWeights w = ShardLoader.load(m, ShardPlanner.plan(m, 2), 1);
             ComputePool pool = new ComputePool(CpuSet.of(0), false)) {
            assertThrows(IllegalArgumentException.class,
                    () -> new Transformer(w.weights(), w.dims(), pool, Communicator.single()));
        }
    }
}
