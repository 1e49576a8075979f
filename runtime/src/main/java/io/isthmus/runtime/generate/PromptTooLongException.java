package io.isthmus.runtime.generate;

/** The prompt does not fit the context with room for one new token. */
public class PromptTooLongException extends IllegalArgumentException {
    public PromptTooLongException(int promptTokens, int context) {
        super("prompt has " + promptTokens + " tokens but the context holds " + context
                + " (one position must stay free for a new token)");
    }
}
