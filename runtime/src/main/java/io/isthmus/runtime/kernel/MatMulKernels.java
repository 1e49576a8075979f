package io.isthmus.runtime.kernel;

import io.isthmus.runtime.tensor.GgmlType;

/** The matrix kernel for each weight type. */
public final class MatMulKernels {

    private static final MatMulKernel F32 = new F32Kernel();
    private static final MatMulKernel F16 = new F16Kernel();
    private static final MatMulKernel BF16 = new BF16Kernel();
    private static final MatMulKernel Q8_0 = new BlockKernel(Q8_0Dots.INSTANCE);
    private static final MatMulKernel Q4_0 = new BlockKernel(Q4_0Dots.INSTANCE);
    private static final MatMulKernel Q4_K = new BlockKernel(Q4_KDots.GGUF);
    private static final MatMulKernel Q6_K = new Q6_KKernel();

    private MatMulKernels() {
    }

    /** Whether {@link #forType} has a kernel for {@code type}. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K -> true;
            default -> false;
        };
    }

    /** The kernel for weights of {@code type}; throws for types Isthmus cannot multiply. */
    public static MatMulKernel forType(GgmlType type) {
        return switch (type) {
            case F32 -> F32;
            case F16 -> F16;
            case BF16 -> BF16;
            case Q8_0 -> Q8_0;
            case Q4_0 -> Q4_0;
            case Q4_K -> Q4_K;
            case Q6_K -> Q6_K;
            default -> throw new UnsupportedOperationException("no matrix kernel for weight type " + type);
        };
    }
}
