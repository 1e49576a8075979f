package io.isthmus.runtime.tokenizer;

import io.isthmus.runtime.format.ModelFormatException;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads llama2.c's {@code tokenizer.bin}: int32 max_token_length, then per token float32 score, int32 length
 * and the UTF-8 bytes, little-endian. The file stores spaces as ' ' and BOS/EOS as "\n&lt;s&gt;\n" /
 * "\n&lt;/s&gt;\n" (ids 1, 2); both are normalised to the GGUF form so that the same algorithm gives the same ids.
 */
final class Llama2cTokenizerReader {
    private static final int BOS = 1;
    private static final int EOS = 2;

    private Llama2cTokenizerReader() {
    }

    static Tokenizer read(Path path, int vocabSize) {
        try {
            return read(path, Files.readAllBytes(path), vocabSize);
        } catch (IOException e) {
            throw new ModelFormatException(path + ": cannot read llama2.c tokenizer: " + e.getMessage(), e);
        }
    }

    /** From the contents of a tokenizer.bin; {@code path} names it in errors. */
    static Tokenizer read(Path path, byte[] content, int vocabSize) {
        if (vocabSize <= BOS + EOS) {
            throw new IllegalArgumentException("vocab size " + vocabSize + " is too small for " + path);
        }
        ByteBuffer in = ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN);
        String[] pieces = new String[vocabSize];
        float[] scores = new float[vocabSize];
        TokenType[] types = new TokenType[vocabSize];
        int id = -1;
        try {
            int maxLength = in.getInt();
            if (maxLength <= 0 || maxLength > 1 << 16) {
                throw new ModelFormatException(path + ": not a llama2.c tokenizer (max_token_length " + maxLength + ")");
            }
            for (id = 0; id < vocabSize; id++) {
                scores[id] = in.getFloat();
                int length = in.getInt();
                if (length < 0 || length > maxLength) {
                    throw new ModelFormatException(path + ": corrupt token " + id + ": length " + length
                            + " outside [0, " + maxLength + "]");
                }
                byte[] bytes = new byte[length];
                in.get(bytes);
                pieces[id] = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
            }
        } catch (BufferUnderflowException e) {
            throw new ModelFormatException(path + ": truncated llama2.c tokenizer: ends inside token " + Math.max(id, 0)
                    + " of " + vocabSize, e);
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(path + ": token " + id + " is not valid UTF-8", e);
        }
        if (in.hasRemaining()) {
            throw new ModelFormatException(path + ": " + in.remaining() + " bytes left after " + vocabSize
                    + " tokens: the vocabulary size does not match this tokenizer");
        }
        for (int i = 0; i < vocabSize; i++) {
            types[i] = SentencePieceBpeTokenizer.byteValue(pieces[i]) >= 0 ? TokenType.BYTE : TokenType.NORMAL;
            pieces[i] = pieces[i].replace(' ', SentencePieceBpeTokenizer.SPACE_MARK);
        }
        if (pieces[0].equals("<unk>")) {
            types[0] = TokenType.UNKNOWN;
        }
        pieces[BOS] = pieces[BOS].strip();
        pieces[EOS] = pieces[EOS].strip();
        types[BOS] = TokenType.CONTROL;
        types[EOS] = TokenType.CONTROL;
        // llama2.c's run.c always adds BOS and a dummy-prefix space, never EOS.
        return SentencePieceBpeTokenizer.withScores(pieces, scores, types, SpecialTokens.of(BOS, EOS, true, false),
                SentencePieceBpeTokenizer.DummyPrefix.ALWAYS);
    }
}
