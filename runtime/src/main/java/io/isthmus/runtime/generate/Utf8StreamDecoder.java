package io.isthmus.runtime.generate;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns the byte pieces of generated tokens into text as it becomes complete. A tokenizer's
 * byte-fallback tokens carry single bytes of a multi-byte character, so a piece can end in the
 * middle of a character: those bytes are held back until the rest arrives. Invalid sequences
 * become U+FFFD. Not thread-safe; one per output stream.
 */
public final class Utf8StreamDecoder {

    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    /** Bytes not decoded yet (an incomplete trailing sequence), in read mode between calls. */
    private ByteBuffer pending = ByteBuffer.allocate(16).flip();

    /** Adds a token's bytes; returns the text completed by them (possibly empty). */
    public String push(byte[] bytes) {
        append(bytes);
        return decode(false);
    }

    /** Returns whatever is still held back, an incomplete sequence as U+FFFD, and starts afresh. */
    public String flush() {
        String rest = decode(true);
        decoder.reset();
        return rest;
    }

    private void append(byte[] bytes) {
        if (pending.capacity() - pending.remaining() < bytes.length) {
            ByteBuffer larger = ByteBuffer.allocate(Math.max(2 * pending.capacity(), pending.remaining() + bytes.length));
            larger.put(pending).flip();
            pending = larger;
        }
        pending.compact().put(bytes).flip();
    }

    private String decode(boolean endOfInput) {
        // UTF-8 never yields more chars than bytes, U+FFFD replacements included.
        CharBuffer out = CharBuffer.allocate(pending.remaining());
        CoderResult result = decoder.decode(pending, out, endOfInput);
        if (result.isOverflow()) {
            throw new IllegalStateException("UTF-8 output buffer too small");
        }
        if (endOfInput) {
            decoder.flush(out);
        }
        return out.flip().toString();
    }
}
