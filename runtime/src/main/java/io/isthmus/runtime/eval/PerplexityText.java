package io.isthmus.runtime.eval;

import io.isthmus.runtime.tokenizer.Tokenizer;

/**
 * The token stream llama.cpp's {@code llama-perplexity} scores: the whole text tokenized once, with
 * one trailing newline dropped (as its {@code -f} option reads a file), BOS first where the model
 * adds one, special-token text read as plain text.
 */
public final class PerplexityText {
    private PerplexityText() {
    }

    public static int[] tokenize(Tokenizer tokenizer, String text) {
        String t = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        return tokenizer.encode(t, true);
    }
}
