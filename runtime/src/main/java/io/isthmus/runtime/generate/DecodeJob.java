package io.isthmus.runtime.generate;

import io.isthmus.runtime.model.DecodeBatch;

/**
 * A generation whose prompt has run, advanced one decode step at a time by a {@link DecodeLoop}:
 * each step it adds its rows (one for a sampled sequence, B for a beam search) to the loop's
 * batch, and after the forward pass it reads their logits and chooses its next tokens.
 * Not thread-safe: driven from the thread that runs the model.
 */
public interface DecodeJob {

    /** Rows this job adds to every step until it is done. */
    int rows();

    /** Adds its rows (the tokens to run next) to {@code batch}. */
    void addRows(DecodeBatch batch);

    /**
     * Reads the logits of its rows, rows {@code firstRow..firstRow+rows()} of vocabSize floats
     * each, after a step that took {@code stepNanos}, and chooses the next tokens (or finishes).
     */
    void accept(float[] logits, int firstRow, long stepNanos);

    boolean done();

    /** Gives up a job that is not done (its step failed): releases its KV cache. */
    void abandon();

    /** The outcome, once {@link #done()}; the job's KV cache is released by then. */
    Generator.Output result();
}
