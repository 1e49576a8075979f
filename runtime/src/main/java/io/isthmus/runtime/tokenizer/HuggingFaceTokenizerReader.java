package io.isthmus.runtime.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isthmus.runtime.format.ModelFormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Builds a tokenizer from a Hugging Face {@code tokenizer.json} with a {@code BPE} model: byte-level (GPT-2 style,
 * {@code ByteLevel} pre-tokenizer) or SentencePiece style (byte fallback, U+2581 for spaces via a {@code Metaspace}
 * pre-tokenizer or a Prepend/Replace normalizer). BOS/EOS come from the {@code TemplateProcessing}
 * post-processor where there is one, else from {@code tokenizer_config.json} next to the file.
 */
final class HuggingFaceTokenizerReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final JsonNode root;
    private final JsonNode config;

    private HuggingFaceTokenizerReader(Path path, JsonNode root, JsonNode config) {
        this.path = path;
        this.root = root;
        this.config = config;
    }

    static Tokenizer read(Path path) {
        return new HuggingFaceTokenizerReader(path, parse(path), siblingConfig(path)).build();
    }

    /** From the contents of a tokenizer.json and its tokenizer_config.json (null when none); {@code origin} names them in errors. */
    static Tokenizer read(Path origin, byte[] json, byte[] configJson) {
        return new HuggingFaceTokenizerReader(origin, parse(origin, json),
                configJson == null ? JSON.createObjectNode() : parse(origin, configJson)).build();
    }

    private static JsonNode parse(Path path) {
        try {
            return parse(path, Files.readAllBytes(path));
        } catch (IOException e) {
            throw new ModelFormatException(path + ": cannot read tokenizer JSON: " + e.getMessage(), e);
        }
    }

    private static JsonNode parse(Path origin, byte[] json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new ModelFormatException(origin + ": cannot read tokenizer JSON: " + e.getMessage(), e);
        }
    }

    private ModelFormatException error(String problem) {
        return new ModelFormatException(path + ": " + problem);
    }

    private Tokenizer build() {
        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asText())) {
            throw error("unsupported tokenizer model type '" + model.path("type").asText() + "' (supported: BPE)");
        }
        String[] pieces = pieces(model);
        TokenType[] types = types(model, pieces);
        MergeRanks merges = merges(model.path("merges"));
        SpecialTokens special = special(pieces);
        JsonNode pre = root.path("pre_tokenizer");
        JsonNode normalizer = root.path("normalizer");
        if ("ByteLevel".equals(pre.path("type").asText()) && normalizer.isNull()) {
            if (!pre.path("use_regex").asBoolean(true)) {
                throw error("ByteLevel pre_tokenizer without use_regex is not supported");
            }
            return new ByteLevelBpeTokenizer(pieces, types, merges, special,
                    pre.path("add_prefix_space").asBoolean(true), model.path("ignore_merges").asBoolean(false));
        }
        if (model.path("byte_fallback").asBoolean(false)) {
            return SentencePieceBpeTokenizer.withMergeRanks(pieces, merges, types, special, dummyPrefix(pre, normalizer));
        }
        throw error("unsupported pre_tokenizer " + pre + " / normalizer " + normalizer
                + " (supported: ByteLevel, or byte_fallback with Metaspace or Prepend+Replace)");
    }

    /** How a SentencePiece-style file prepends U+2581; anything that would change the text otherwise is refused. */
    private SentencePieceBpeTokenizer.DummyPrefix dummyPrefix(JsonNode pre, JsonNode normalizer) {
        String mark = String.valueOf(SentencePieceBpeTokenizer.SPACE_MARK);
        if ("Metaspace".equals(pre.path("type").asText()) && normalizer.isNull()) {
            if (!mark.equals(pre.path("replacement").asText(mark)) || pre.path("split").asBoolean(false)) {
                throw error("Metaspace pre_tokenizer with another replacement or split=true is not supported");
            }
            boolean prepend = pre.has("prepend_scheme") ? !"never".equals(pre.path("prepend_scheme").asText())
                    : pre.path("add_prefix_space").asBoolean(true);
            return prepend ? SentencePieceBpeTokenizer.DummyPrefix.UNLESS_LEADING_SPACE : SentencePieceBpeTokenizer.DummyPrefix.NONE;
        }
        if (pre.isNull() && "Sequence".equals(normalizer.path("type").asText())) {
            boolean prepend = false;
            boolean replace = false;
            for (JsonNode n : normalizer.path("normalizers")) {
                String type = n.path("type").asText();
                if (type.equals("Prepend") && n.path("prepend").asText().equals(mark)) {
                    prepend = true;
                } else if (type.equals("Replace") && n.path("pattern").path("String").asText().equals(" ")
                        && n.path("content").asText().equals(mark)) {
                    replace = true;
                } else {
                    throw error("unsupported normalizer step " + n);
                }
            }
            if (replace) {
                return prepend ? SentencePieceBpeTokenizer.DummyPrefix.ALWAYS : SentencePieceBpeTokenizer.DummyPrefix.NONE;
            }
        }
        throw error("unsupported pre_tokenizer " + pre + " / normalizer " + normalizer + " for a byte_fallback BPE");
    }

    private String[] pieces(JsonNode model) {
        JsonNode vocab = model.path("vocab");
        if (!vocab.isObject()) {
            throw error("model.vocab is missing or not an object");
        }
        int size = 0;
        for (Map.Entry<String, JsonNode> e : vocab.properties()) {
            size = Math.max(size, e.getValue().asInt() + 1);
        }
        for (JsonNode t : root.path("added_tokens")) {
            size = Math.max(size, t.path("id").asInt() + 1);
        }
        String[] pieces = new String[size];
        for (Map.Entry<String, JsonNode> e : vocab.properties()) {
            pieces[checkedId(e.getValue(), e.getKey(), size)] = e.getKey();
        }
        for (JsonNode t : root.path("added_tokens")) {
            pieces[checkedId(t.path("id"), t.path("content").asText(), size)] = t.path("content").asText();
        }
        for (int id = 0; id < size; id++) {
            if (pieces[id] == null) {
                throw error("no token has id " + id + " (ids must be 0.." + (size - 1) + " without gaps)");
            }
        }
        return pieces;
    }

    private int checkedId(JsonNode id, String piece, int size) {
        if (!id.canConvertToInt() || id.asInt() < 0 || id.asInt() >= size) {
            throw error("token '" + piece + "' has invalid id " + id);
        }
        return id.asInt();
    }

    private TokenType[] types(JsonNode model, String[] pieces) {
        TokenType[] types = new TokenType[pieces.length];
        boolean byteFallback = model.path("byte_fallback").asBoolean(false);
        for (int id = 0; id < pieces.length; id++) {
            types[id] = byteFallback && SentencePieceBpeTokenizer.byteValue(pieces[id]) >= 0 ? TokenType.BYTE : TokenType.NORMAL;
            if (pieces[id].equals(model.path("unk_token").asText(null))) {
                types[id] = TokenType.UNKNOWN;
            }
        }
        for (JsonNode t : root.path("added_tokens")) {
            int id = t.path("id").asInt();
            if (types[id] != TokenType.UNKNOWN) {
                types[id] = t.path("special").asBoolean(false) ? TokenType.CONTROL : TokenType.USER_DEFINED;
            }
        }
        return types;
    }

    private MergeRanks merges(JsonNode merges) {
        List<String[]> pairs = new ArrayList<>(merges.size());
        for (JsonNode m : merges) {
            String[] pair;
            if (m.isTextual()) {
                int space = m.asText().indexOf(' ', 1);
                pair = space < 0 ? null : new String[] {m.asText().substring(0, space), m.asText().substring(space + 1)};
            } else {
                pair = m.isArray() && m.size() == 2 ? new String[] {m.get(0).asText(), m.get(1).asText()} : null;
            }
            if (pair == null) {
                throw error("merge #" + pairs.size() + " " + m + " is neither \"a b\" nor [a, b]");
            }
            pairs.add(pair);
        }
        return MergeRanks.of(pairs);
    }

    private SpecialTokens special(String[] pieces) {
        int bos = idOf(pieces, tokenName(config.path("bos_token")));
        int eos = idOf(pieces, tokenName(config.path("eos_token")));
        boolean addBos = config.path("add_bos_token").asBoolean(false);
        boolean addEos = config.path("add_eos_token").asBoolean(false);
        JsonNode post = root.path("post_processor");
        if ("TemplateProcessing".equals(post.path("type").asText())) {
            // The template is what the reference tokenizer applies: specials before $A are BOS, after it EOS.
            addBos = false;
            addEos = false;
            boolean afterSequence = false;
            for (JsonNode item : post.path("single")) {
                if (item.has("Sequence")) {
                    afterSequence = true;
                } else if (item.has("SpecialToken")) {
                    int id = idOf(pieces, item.path("SpecialToken").path("id").asText());
                    if (afterSequence) {
                        eos = id;
                        addEos = true;
                    } else {
                        bos = id;
                        addBos = true;
                    }
                }
            }
        }
        return SpecialTokens.of(bos, eos, addBos, addEos);
    }

    private static JsonNode siblingConfig(Path path) {
        Path config = path.resolveSibling("tokenizer_config.json");
        return Files.isRegularFile(config) ? parse(config) : JSON.createObjectNode();
    }

    /** A token written as a string or as {"content": ...}; null when absent. */
    private static String tokenName(JsonNode token) {
        return token.isTextual() ? token.asText() : token.path("content").asText(null);
    }

    private int idOf(String[] pieces, String name) {
        if (name == null) {
            return -1;
        }
        int id = Arrays.asList(pieces).indexOf(name);
        if (id < 0) {
            throw error("special token '" + name + "' is not in the vocabulary");
        }
        return id;
    }
}
