package io.isthmus.runtime.tp;

import io.isthmus.runtime.kernel.TensorMatrix;
import io.isthmus.runtime.kernel.WeightMatrix;
import io.isthmus.runtime.model.LocalDims;
import io.isthmus.runtime.model.ModelConfig;
import io.isthmus.runtime.model.ModelWeights;
import io.isthmus.runtime.model.QkvLayout;
import io.isthmus.runtime.tensor.GgmlType;
import io.isthmus.runtime.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.HashMap;
import java.util.Map;

/**
 * Builds one rank's weights from the whole model and a {@link ShardPlan}: row and vector slices are
 * views of the model's (mapped) memory, column slices are copied once into memory the rank owns.
 * The rank's weights must be closed before the model's, whose memory they view.
 */
public final class ShardLoader {

    private ShardLoader() {
    }

    /** A rank's weights (canonical names, local shapes) and the dimensions the forward pass needs. */
    public record RankWeights(ModelWeights weights, LocalDims dims) implements AutoCloseable {
        @Override
        public void close() {
            weights.close();
        }
    }

    /**
     * The tensors of {@code rank}. Copies are made by the calling thread: the rank's own, bound
     * thread should call this so that first touch puts them on its NUMA node.
     */
    public static RankWeights load(ModelWeights model, ShardPlan plan, int rank) {
        ShardPlan.Rank part = plan.rank(rank);
        Arena arena = Arena.ofShared(); // ranks are threads or processes; a rank's weights may be read by its pool's threads
        Map<String, Tensor> tensors = new HashMap<>();
        Map<String, WeightMatrix> packed = new HashMap<>();
        try {
            for (TensorShard s : part.tensors()) {
                WeightMatrix p = model.packed().get(s.source());
                if (p != null) {
                    packed.put(s.target(), switch (s.split()) {
                        case WHOLE -> p;
                        case ROWS -> p.sliceRows(s.from(), s.count());
                        case COLUMNS -> p.sliceColumns(s.from(), s.count(), arena);
                        case ELEMENTS -> throw new ShardingException(model.source() + ": tensor '" + s.source()
                                + "' is a packed " + p.format() + " matrix, not a vector");
                    });
                    continue;
                }
                Tensor src = model.tensor(s.source());
                tensors.put(s.target(), switch (s.split()) {
                    case WHOLE -> src;
                    case ROWS -> renamed(src.sliceRows(s.from(), s.count()), s.target());
                    case ELEMENTS -> elements(src, s);
                    case COLUMNS -> renamed(TensorMatrix.of(src).sliceColumns(s.from(), s.count(), arena).tensor(), s.target());
                });
            }
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        ModelConfig c = model.config();
        if (c.qkvLayout() == QkvLayout.FUSED_BLOCKED) { // the planner split attn_qkv into attn_q, attn_k, attn_v
            c = new ModelConfig(c.architecture(), c.dim(), c.ffnDim(), c.layers(), c.heads(), c.kvHeads(), c.headDim(),
                    c.vocabSize(), c.contextLength(), c.normEps(), c.ropeDims(), c.ropeTheta(), c.ropeFreqScale(),
                    c.ropeStyle(), c.parallelResidual(), QkvLayout.SEPARATE, c.activation());
        }
        return new RankWeights(new ModelWeights(c, tensors, packed, model.source(), arena::close), part.dims());
    }

    private static Tensor renamed(Tensor t, String name) {
        return name.equals(t.name()) ? t : new Tensor(name, t.type(), t.shape(), t.data());
    }

    private static Tensor elements(Tensor src, TensorShard s) {
        GgmlType type = src.type();
        long at = type.rowBytes(s.from());
        return new Tensor(s.target(), type, new long[] {s.count()}, src.data().asSlice(at, type.rowBytes(s.count())));
    }
}
