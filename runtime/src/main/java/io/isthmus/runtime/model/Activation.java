package io.isthmus.runtime.model;

/** The feed-forward network's non-linearity. */
public enum Activation {
    /** silu(gate(x)) · up(x), then down (Llama). */
    SWIGLU,
    /** gelu(up(x)) then down, GELU by its tanh approximation (llama.cpp, HF "gelu_new"). */
    GELU_TANH,
    /** gelu(up(x)) then down, exact erf GELU (PyTorch "gelu"). */
    GELU_ERF
}
