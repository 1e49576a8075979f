package io.isthmus.runtime.onednn;

/** The instruction set oneDNN dispatches to ({@code dnnl_cpu_isa_t} from {@code dnnl_get_effective_cpu_isa}). */
public enum CpuIsa {
    DEFAULT(0x0, "default"), SSE41(0x1, "sse41"), AVX(0x3, "avx"), AVX2(0x7, "avx2"), AVX2_VNNI(0xf, "avx2_vnni"),
    AVX2_VNNI_2(0x1f, "avx2_vnni_2"), AVX512_CORE(0x27, "avx512_core"), AVX512_CORE_VNNI(0x67, "avx512_core_vnni"),
    AVX512_CORE_BF16(0xe7, "avx512_core_bf16"), AVX10_1_512(0x1ef, "avx10_1_512"),
    AVX10_1_512_AMX(0xfef, "avx10_1_512_amx"), AVX10_1_512_AMX_FP16(0x1fef, "avx10_1_512_amx_fp16"),
    OTHER(-1, "other");

    private final int code;
    private final String label;

    CpuIsa(int code, String label) {
        this.code = code;
        this.label = label;
    }

    static CpuIsa of(int code) {
        for (CpuIsa isa : values()) {
            if (isa.code == code) {
                return isa;
            }
        }
        return OTHER;
    }

    /** oneDNN's name for it, as ONEDNN_VERBOSE prints it. */
    public String label() {
        return this == OTHER ? "other" : label;
    }

    /**
     * Whether u8 × s8 products are exact here: with VNNI (or AMX) they add in 32 bits; without it
     * oneDNN pairs them with vpmaddubsw, whose 16-bit sums saturate (on Zen 3's AVX2 the dynamic int8
     * path came out 5 % off a float64 product, where OneDnnMatmulTest allows 2 %).
     */
    public boolean hasExactInt8() {
        return switch (this) {
            case AVX2_VNNI, AVX2_VNNI_2, AVX512_CORE_VNNI, AVX512_CORE_BF16, AVX10_1_512, AVX10_1_512_AMX,
                 AVX10_1_512_AMX_FP16 -> true;
            default -> false;
        };
    }

    /** Whether oneDNN uses AMX tiles here. */
    public boolean hasAmx() {
        return this == AVX10_1_512_AMX || this == AVX10_1_512_AMX_FP16;
    }
}
