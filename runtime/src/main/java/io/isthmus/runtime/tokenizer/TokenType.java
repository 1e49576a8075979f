package io.isthmus.runtime.tokenizer;

/** Kinds of vocabulary entries, numbered as GGUF's {@code tokenizer.ggml.token_type} numbers them. */
enum TokenType {
    NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE;

    /** The type with GGUF number {@code code} (0, "undefined", counts as normal), or null when there is none. */
    static TokenType fromGguf(int code) {
        return switch (code) {
            case 0, 1 -> NORMAL;
            case 2 -> UNKNOWN;
            case 3 -> CONTROL;
            case 4 -> USER_DEFINED;
            case 5 -> UNUSED;
            case 6 -> BYTE;
            default -> null;
        };
    }
}
