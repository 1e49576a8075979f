package io.isthmus.runtime.eval;

/**
 * The outcome of a perplexity run.
 *
 * @param perplexity    exp(mean negative log-likelihood) over the scored tokens
 * @param meanNll       mean negative log-likelihood in nats per token
 * @param scoredTokens  tokens whose likelihood was scored
 * @param chunks        windows evaluated
 * @param ctx           tokens per window
 * @param textTokens    tokens of the whole text (BOS included where the model adds one)
 */
public record PerplexityResult(double perplexity, double meanNll, long scoredTokens, int chunks, int ctx,
                               int textTokens) {
}
