package io.isthmus.runtime.synth;

import java.util.Arrays;
import java.util.Locale;

/**
 * The shape of a real model, for a synthetic one of the same size: what speed work needs where the
 * real weights cannot be had. {@code gptneox} stands in for GPT-J (see {@link #GPTJ_6B}).
 *
 * @param architecture  GGUF general.architecture: llama or gptneox
 * @param ropeDims      dimensions of each head that RoPE rotates
 */
public record SyntheticShape(String name, String architecture, int dim, int layers, int heads, int kvHeads, int ffnDim,
                             int vocabSize, int contextLength, int ropeDims) {

    /** Llama 2 7B: 4096 wide, 32 layers of 32 heads, SwiGLU 11008, vocabulary 32000. */
    public static final SyntheticShape LLAMA2_7B = new SyntheticShape("llama2-7b", "llama", 4096, 32, 32, 32, 11008, 32000, 4096, 128);
    /** Llama 2 13B: 5120 wide, 40 layers of 40 heads, SwiGLU 13824. */
    public static final SyntheticShape LLAMA2_13B = new SyntheticShape("llama2-13b", "llama", 5120, 40, 40, 40, 13824, 32000, 4096, 128);
    /**
     * GPT-J 6B's sizes (4096 wide, 28 layers of 16 heads of 256, MLP 16384, vocabulary 50400,
     * parallel residual, rotary on 64 dimensions) on the GPT-NeoX architecture the runtime has:
     * GPT-J itself differs in ways that cost the same (one LayerNorm feeding both branches instead
     * of two, rotary on adjacent pairs instead of split halves, no attention biases, an output bias).
     */
    public static final SyntheticShape GPTJ_6B = new SyntheticShape("gptj-6b", "gptneox", 4096, 28, 16, 16, 16384, 50400, 2048, 64);
    /** A few hundred kilobytes, for tests: Llama with grouped-query attention. */
    public static final SyntheticShape TINY = new SyntheticShape("tiny", "llama", 64, 2, 4, 2, 192, 320, 256, 16);

    private static final SyntheticShape[] ALL = {LLAMA2_7B, LLAMA2_13B, GPTJ_6B, TINY};

    /** The preset named {@code name}: llama2-7b, llama2-13b, gptj-6b or tiny. */
    public static SyntheticShape named(String name) {
        for (SyntheticShape s : ALL) {
            if (s.name.equals(name.toLowerCase(Locale.ROOT))) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown synthetic model '" + name + "' (known: "
                + String.join(", ", Arrays.stream(ALL).map(SyntheticShape::name).toList()) + ")");
    }

    public int headDim() {
        return dim / heads;
    }

    public int kvDim() {
        return kvHeads * headDim();
    }

    public boolean isLlama() {
        return architecture.equals("llama");
    }

    /** Weights in all matrices (embedding and output included). */
    public long parameters() {
        long attention = isLlama() ? (long) dim * (dim + 2L * kvDim()) + (long) dim * dim : 4L * dim * dim;
        long ffn = (isLlama() ? 3L : 2L) * dim * ffnDim;
        return layers * (attention + ffn) + 2L * vocabSize * dim;
    }
}
