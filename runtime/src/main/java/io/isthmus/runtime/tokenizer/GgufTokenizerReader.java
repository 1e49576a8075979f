package io.isthmus.runtime.tokenizer;

import io.isthmus.runtime.format.GgufFile;
import io.isthmus.runtime.format.ModelFormatException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Builds a tokenizer from a GGUF file's {@code tokenizer.ggml.*} metadata. */
final class GgufTokenizerReader {
    private static final String PREFIX = "tokenizer.ggml.";

    private GgufTokenizerReader() {
    }

    static Tokenizer read(GgufFile gguf) {
        String model = gguf.getString(PREFIX + "model");
        String[] pieces = gguf.getStringList(PREFIX + "tokens").toArray(String[]::new);
        TokenType[] types = types(gguf, pieces.length);
        return switch (model) {
            case "llama" -> SentencePieceBpeTokenizer.withScores(pieces, scores(gguf, pieces.length), types,
                    special(gguf, pieces.length, true), gguf.getBoolean(PREFIX + "add_space_prefix", true)
                            ? SentencePieceBpeTokenizer.DummyPrefix.ALWAYS : SentencePieceBpeTokenizer.DummyPrefix.NONE);
            case "gpt2" -> new ByteLevelBpeTokenizer(pieces, types, merges(gguf),
                    special(gguf, pieces.length, false), false, false);
            default -> throw new ModelFormatException(gguf.path() + ": unsupported tokenizer model '" + model
                    + "' in " + PREFIX + "model (supported: llama, gpt2)");
        };
    }

    private static TokenType[] types(GgufFile gguf, int n) {
        TokenType[] types = new TokenType[n];
        if (!gguf.has(PREFIX + "token_type")) {
            Arrays.fill(types, TokenType.NORMAL);
            return types;
        }
        int[] codes = gguf.getIntArray(PREFIX + "token_type");
        checkLength(gguf, "token_type", codes.length, n);
        for (int id = 0; id < n; id++) {
            types[id] = TokenType.fromGguf(codes[id]);
            if (types[id] == null) {
                throw new ModelFormatException(gguf.path() + ": token " + id + " has unknown token type " + codes[id]);
            }
        }
        return types;
    }

    private static float[] scores(GgufFile gguf, int n) {
        float[] scores = gguf.getFloatArray(PREFIX + "scores");
        checkLength(gguf, "scores", scores.length, n);
        return scores;
    }

    private static void checkLength(GgufFile gguf, String key, int length, int n) {
        if (length != n) {
            throw new ModelFormatException(gguf.path() + ": " + PREFIX + key + " has " + length + " entries for "
                    + n + " tokens");
        }
    }

    private static MergeRanks merges(GgufFile gguf) {
        List<String> lines = gguf.getStringList(PREFIX + "merges");
        List<String[]> pairs = new ArrayList<>(lines.size());
        for (int r = 0; r < lines.size(); r++) {
            String line = lines.get(r);
            int space = line.indexOf(' ', 1);
            if (space < 0) {
                throw new ModelFormatException(gguf.path() + ": merge #" + r + " '" + line + "' is not of the form 'a b'");
            }
            pairs.add(new String[] {line.substring(0, space), line.substring(space + 1)});
        }
        return MergeRanks.of(pairs);
    }

    private static SpecialTokens special(GgufFile gguf, int n, boolean addBosByDefault) {
        return SpecialTokens.of(id(gguf, "bos_token_id", n), id(gguf, "eos_token_id", n),
                gguf.getBoolean(PREFIX + "add_bos_token", addBosByDefault),
                gguf.getBoolean(PREFIX + "add_eos_token", false),
                id(gguf, "eot_token_id", n), id(gguf, "eom_token_id", n));
    }

    /** A token id key; absent or 0xFFFFFFFF (llama.cpp's "none") gives -1. */
    private static int id(GgufFile gguf, String key, int n) {
        long v = gguf.getLong(PREFIX + key, -1);
        if (v == -1 || v == 0xFFFF_FFFFL) {
            return -1;
        }
        if (v < 0 || v >= n) {
            throw new ModelFormatException(gguf.path() + ": " + PREFIX + key + " = " + v + " is outside the "
                    + n + "-token vocabulary");
        }
        return (int) v;
    }
}
