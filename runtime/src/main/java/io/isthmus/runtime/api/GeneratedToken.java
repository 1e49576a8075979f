package io.isthmus.runtime.api;

/**
 * One streamed piece of output: a token id (or -1 for text flushed at the end) and the text it
 * completes (may be empty while a multi-byte character is incomplete).
 */
public record GeneratedToken(int id, String text) {
}
