package io.isthmus.runtime.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * GPT-2 byte-level BPE: the text is split by {@link Gpt2PreTokenizer}, each piece's UTF-8 bytes are written in
 * the {@link ByteLevelAlphabet}, merged by rank ({@link MergeRanks}, lowest first) and looked up in the vocabulary.
 */
public final class ByteLevelBpeTokenizer extends VocabularyTokenizer {
    /** Pieces that text may turn into (all but control and unused tokens), by text. */
    private final Map<String, Integer> textPieces;
    private final MergeRanks mergeRanks;
    private final int unknownId;
    private final boolean addPrefixSpace;
    private final boolean wholeWordsFirst;

    /**
     * @param addPrefixSpace  a space is put before text that does not start with one (HF ByteLevel option)
     * @param wholeWordsFirst a pre-tokenized piece that is itself in the vocabulary is taken whole without
     *                        merging (HF BPE {@code ignore_merges})
     */
    ByteLevelBpeTokenizer(String[] pieces, TokenType[] types, MergeRanks mergeRanks, SpecialTokens special,
                          boolean addPrefixSpace, boolean wholeWordsFirst) {
        super(pieces, types, pieceBytes(pieces, types), special);
        this.mergeRanks = mergeRanks;
        this.addPrefixSpace = addPrefixSpace;
        this.wholeWordsFirst = wholeWordsFirst;
        this.textPieces = HashMap.newHashMap(pieces.length);
        int unknown = -1;
        for (int id = 0; id < pieces.length; id++) {
            if (types[id] != TokenType.CONTROL && types[id] != TokenType.UNUSED) {
                textPieces.putIfAbsent(pieces[id], id);
            }
            if (types[id] == TokenType.UNKNOWN && unknown < 0) {
                unknown = id;
            }
        }
        this.unknownId = unknown;
    }

    /** Normal pieces are in the byte alphabet; user-defined and other added tokens are stored as plain text. */
    private static byte[][] pieceBytes(String[] pieces, TokenType[] types) {
        byte[][] bytes = new byte[pieces.length][];
        for (int id = 0; id < pieces.length; id++) {
            byte[] decoded = types[id] == TokenType.NORMAL || types[id] == TokenType.BYTE
                    ? ByteLevelAlphabet.decode(pieces[id]) : null;
            bytes[id] = decoded != null ? decoded : pieces[id].getBytes(StandardCharsets.UTF_8);
        }
        return bytes;
    }

    @Override
    void encodeText(String text, IntSink out) {
        String prefixed = addPrefixSpace && !text.startsWith(" ") ? " " + text : text;
        Gpt2PreTokenizer.split(prefixed, (start, end) -> encodeWord(ByteLevelAlphabet.encode(prefixed, start, end), out));
    }

    private void encodeWord(String word, IntSink out) {
        if (wholeWordsFirst) {
            Integer id = textPieces.get(word);
            if (id != null) {
                out.add(id);
                return;
            }
        }
        int[] bounds = BpeMerger.merge(word, mergeRanks::priority);
        for (int k = 0; k + 1 < bounds.length; k++) {
            Integer id = textPieces.get(word.substring(bounds[k], bounds[k + 1]));
            if (id != null) {
                out.add(id);
            } else {
                // A merge whose result is missing from the vocabulary: fall back to its single bytes.
                for (int i = bounds[k]; i < bounds[k + 1]; i++) {
                    out.add(singleByte(word.charAt(i)));
                }
            }
        }
    }

    private int singleByte(char c) {
        Integer id = textPieces.get(String.valueOf(c));
        if (id != null) {
            return id;
        }
        if (unknownId < 0) {
            throw new IllegalArgumentException("cannot encode byte-level symbol '" + c
                    + "': it is not in the vocabulary, which has no unknown token");
        }
        return unknownId;
    }
}
