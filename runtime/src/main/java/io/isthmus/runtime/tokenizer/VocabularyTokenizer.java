package io.isthmus.runtime.tokenizer;

/**
 * What both BPE tokenizers share: the id range, special tokens, the per-token bytes for decoding, and
 * encoding around user-defined tokens; subclasses encode the plain-text runs.
 */
abstract sealed class VocabularyTokenizer implements Tokenizer permits SentencePieceBpeTokenizer, ByteLevelBpeTokenizer {
    private static final byte[] NO_BYTES = {};

    private final byte[][] tokenBytes;
    private final SpecialTokens special;
    private final UserDefinedTokens userDefined;

    /** {@code tokenBytes[id]} is used for ids of normal, user-defined, unknown and byte tokens. */
    VocabularyTokenizer(String[] pieces, TokenType[] types, byte[][] tokenBytes, SpecialTokens special) {
        this.tokenBytes = tokenBytes.clone();
        for (int id = 0; id < types.length; id++) {
            if (types[id] == TokenType.CONTROL || types[id] == TokenType.UNUSED) {
                this.tokenBytes[id] = NO_BYTES;
            }
        }
        this.special = special;
        this.userDefined = new UserDefinedTokens(pieces, types);
    }

    /** Appends the ids of {@code text}, a non-empty run of text between user-defined tokens. */
    abstract void encodeText(String text, IntSink out);

    @Override
    public final int[] encode(String text, boolean addSpecial) {
        IntSink out = new IntSink(text.length() / 3 + 2);
        if (addSpecial && special.addBos()) {
            out.add(special.bos());
        }
        userDefined.split(text, new UserDefinedTokens.Visitor() {
            @Override
            public void text(String fragment) {
                encodeText(fragment, out);
            }

            @Override
            public void token(int id) {
                out.add(id);
            }
        });
        if (addSpecial && special.addEos()) {
            out.add(special.eos());
        }
        return out.toArray();
    }

    @Override
    public final int vocabSize() {
        return tokenBytes.length;
    }

    @Override
    public final byte[] tokenBytes(int id) {
        if (id < 0 || id >= tokenBytes.length) {
            throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + tokenBytes.length + ")");
        }
        return tokenBytes[id].clone();
    }

    @Override
    public final int bosId() {
        return special.bos();
    }

    @Override
    public final int eosId() {
        return special.eos();
    }

    @Override
    public final boolean isEndOfGeneration(int id) {
        return special.endOfGeneration().contains(id);
    }

    @Override
    public final boolean addsBos() {
        return special.addBos();
    }
}
