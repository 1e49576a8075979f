package io.isthmus.runtime.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Text ↔ token ids, built from the model's own vocabulary files. Implementations are immutable
 * and safe to share between threads.
 */
public interface Tokenizer {

    int vocabSize();

    /**
     * Token ids of {@code text}, as the reference engine tokenizes it. With {@code addSpecial},
     * the model's BOS (and EOS where its metadata asks for it) is added; special-token text such
     * as {@code "<s>"} inside {@code text} is treated as plain text.
     */
    int[] encode(String text, boolean addSpecial);

    /** Raw bytes of one token's text (byte-fallback tokens give one byte; control tokens give none). */
    byte[] tokenBytes(int id);

    /**
     * The text of {@code ids} (control tokens omitted, invalid UTF-8 replaced): the concatenated
     * {@link #tokenBytes} read as UTF-8, so byte-fallback tokens of one character join up again.
     */
    default String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            bytes.writeBytes(tokenBytes(id));
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The beginning-of-sequence id, or -1 when the vocabulary has none. */
    int bosId();

    /** The end-of-sequence id, or -1 when the vocabulary has none. */
    int eosId();

    /** Whether generation stops at {@code id} (EOS, end-of-turn and the like). */
    boolean isEndOfGeneration(int id);

    /** Whether {@code encode(text, true)} starts with BOS. */
    boolean addsBos();
}
