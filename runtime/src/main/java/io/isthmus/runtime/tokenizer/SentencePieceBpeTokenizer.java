package io.isthmus.runtime.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * SentencePiece-style BPE with byte fallback, tokenizing as llama.cpp does for a {@code llama} GGUF vocabulary:
 * a dummy-prefix space (optional), spaces written as U+2581, then adjacent symbols merged starting from single
 * characters, the pair whose merged piece has the highest score first. Characters left without a piece become
 * {@code <0xXX>} byte tokens of their UTF-8 bytes. Only normal and user-defined pieces are ever produced from text.
 * <p>
 * A Hugging Face {@code tokenizer.json} of this kind orders merges by an explicit merge list instead of piece
 * scores; {@link #withMergeRanks} builds that variant.
 */
public final class SentencePieceBpeTokenizer extends VocabularyTokenizer {
    static final char SPACE_MARK = '\u2581';

    /** Whether a space is put before each run of text. */
    enum DummyPrefix {
        NONE,
        ALWAYS,
        /** HF {@code Metaspace}: not when the text already starts with a space. */
        UNLESS_LEADING_SPACE
    }

    /** Pieces that text may turn into (normal and user-defined), by text. */
    private final Map<String, Integer> textPieces;
    private final float[] scores;
    private final MergeRanks mergeRanks;
    private final int[] byteIds;
    private final int unknownId;
    private final DummyPrefix dummyPrefix;
    /** True when no piece may merge across a word start ("x▁" with x not ▁), so that words can merge separately. */
    private final boolean mergesStayInWords;

    private SentencePieceBpeTokenizer(String[] pieces, float[] scores, MergeRanks mergeRanks, TokenType[] types,
                                      SpecialTokens special, DummyPrefix dummyPrefix) {
        super(pieces, types, pieceBytes(pieces, types), special);
        this.scores = scores;
        this.mergeRanks = mergeRanks;
        this.dummyPrefix = dummyPrefix;
        this.textPieces = HashMap.newHashMap(pieces.length);
        this.byteIds = new int[256];
        Arrays.fill(byteIds, -1);
        int unknown = -1;
        for (int id = 0; id < pieces.length; id++) {
            switch (types[id]) {
                case NORMAL, USER_DEFINED -> textPieces.putIfAbsent(pieces[id], id);
                case BYTE -> byteIds[byteValue(pieces[id])] = id; // checked by pieceBytes
                case UNKNOWN -> unknown = unknown < 0 ? id : unknown;
                default -> {
                }
            }
        }
        this.unknownId = unknown;
        this.mergesStayInWords = mergeRanks == null
                && textPieces.keySet().stream().noneMatch(SentencePieceBpeTokenizer::hasWordStartInside);
    }

    private static boolean hasWordStartInside(String piece) {
        for (int i = 1; i < piece.length(); i++) {
            if (piece.charAt(i) == SPACE_MARK && piece.charAt(i - 1) != SPACE_MARK) {
                return true;
            }
        }
        return false;
    }

    /** Merges by piece score, as SentencePiece and llama.cpp do; {@code scores[id]} is the score of piece {@code id}. */
    static SentencePieceBpeTokenizer withScores(String[] pieces, float[] scores, TokenType[] types,
                                                SpecialTokens special, DummyPrefix dummyPrefix) {
        return new SentencePieceBpeTokenizer(pieces, scores, null, types, special, dummyPrefix);
    }

    /** Merges by the rank of the pair in a merge list, as Hugging Face's BPE model does. */
    static SentencePieceBpeTokenizer withMergeRanks(String[] pieces, MergeRanks mergeRanks, TokenType[] types,
                                                    SpecialTokens special, DummyPrefix dummyPrefix) {
        return new SentencePieceBpeTokenizer(pieces, null, mergeRanks, types, special, dummyPrefix);
    }

    /** The byte of a {@code <0xXX>} piece, or -1 when {@code piece} is not one. */
    static int byteValue(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') {
            return -1;
        }
        int hi = Character.digit(piece.charAt(3), 16);
        int lo = Character.digit(piece.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
    }

    private static byte[][] pieceBytes(String[] pieces, TokenType[] types) {
        byte[][] bytes = new byte[pieces.length][];
        for (int id = 0; id < pieces.length; id++) {
            if (types[id] != TokenType.BYTE) {
                bytes[id] = pieces[id].replace(SPACE_MARK, ' ').getBytes(StandardCharsets.UTF_8);
            } else if (byteValue(pieces[id]) >= 0) {
                bytes[id] = new byte[] {(byte) byteValue(pieces[id])};
            } else {
                throw new IllegalArgumentException("token " + id + " is a byte token but its piece '" + pieces[id]
                        + "' is not of the form <0xXX>");
            }
        }
        return bytes;
    }

    @Override
    void encodeText(String text, IntSink out) {
        boolean prefix = dummyPrefix == DummyPrefix.ALWAYS
                || dummyPrefix == DummyPrefix.UNLESS_LEADING_SPACE && !text.startsWith(" ");
        String normalized = (prefix ? " " + text : text).replace(' ', SPACE_MARK);
        if (!mergesStayInWords) {
            encodeNormalized(normalized, out);
            return;
        }
        // Merges in different words are independent, so merging word by word gives the same result with
        // small queues instead of one the size of the text.
        int wordStart = 0;
        for (int i = 1; i < normalized.length(); i++) {
            if (normalized.charAt(i) == SPACE_MARK && normalized.charAt(i - 1) != SPACE_MARK) {
                encodeNormalized(normalized.substring(wordStart, i), out);
                wordStart = i;
            }
        }
        encodeNormalized(normalized.substring(wordStart), out);
    }

    private void encodeNormalized(String normalized, IntSink out) {
        BpeMerger.PairPriority priority = mergeRanks != null ? mergeRanks::priority : this::scoreOfMerged;
        int[] bounds = BpeMerger.merge(normalized, priority);
        for (int k = 0; k + 1 < bounds.length; k++) {
            String symbol = normalized.substring(bounds[k], bounds[k + 1]);
            Integer id = textPieces.get(symbol);
            if (id != null) {
                out.add(id);
            } else {
                addBytes(symbol, out);
            }
        }
    }

    private double scoreOfMerged(String text, int start, int mid, int end) {
        Integer id = textPieces.get(text.substring(start, end));
        return id == null ? Double.NaN : scores[id];
    }

    private void addBytes(String symbol, IntSink out) {
        for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
            int id = byteIds[b & 0xFF];
            if (id < 0) {
                id = unknownId;
            }
            if (id < 0) {
                throw new IllegalArgumentException("cannot encode '" + symbol
                        + "': the vocabulary has neither its byte tokens nor an unknown token");
            }
            out.add(id);
        }
    }
}
