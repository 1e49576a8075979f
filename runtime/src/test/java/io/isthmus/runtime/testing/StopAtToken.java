package io.isthmus.runtime.testing;

import io.isthmus.runtime.tokenizer.Tokenizer;

/** A tokenizer that also ends generation at one more id (to make tests reach end-of-generation on small models). */
public record StopAtToken(Tokenizer inner, int stopId) implements Tokenizer {
    @Override
    public int vocabSize() {
        return inner.vocabSize();
    }

    @Override
    public int[] encode(String text, boolean addSpecial) {
        return inner.encode(text, addSpecial);
    }

    @Override
    public byte[] tokenBytes(int id) {
        return inner.tokenBytes(id);
    }

    @Override
    public int bosId() {
        return inner.bosId();
    }

    @Override
    public int eosId() {
        return inner.eosId();
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return id == stopId || inner.isEndOfGeneration(id);
    }

    @Override
    public boolean addsBos() {
        return inner.addsBos();
    }
}
