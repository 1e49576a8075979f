package io.isthmus.runtime.api;

/** Called on the generating thread for each token as it is produced; keep it quick. */
@FunctionalInterface
public interface TokenListener {
    void onToken(GeneratedToken token);
}
