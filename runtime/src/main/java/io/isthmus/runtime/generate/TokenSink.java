package io.isthmus.runtime.generate;

/**
 * Receives tokens as they are generated. {@code text} is the text completed by this token (empty
 * while a multi-byte UTF-8 character is still incomplete); a last call with {@code tokenId = -1}
 * delivers bytes left incomplete at the end, rendered as U+FFFD.
 */
@FunctionalInterface
public interface TokenSink {
    void accept(int tokenId, String text);
}
