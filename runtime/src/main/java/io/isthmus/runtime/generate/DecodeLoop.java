package io.isthmus.runtime.generate;

import io.isthmus.runtime.model.DecodeBatch;
import io.isthmus.runtime.model.ForwardPass;

import java.util.ArrayList;
import java.util.List;

/**
 * Batched decode: the running {@link DecodeJob}s advance together, one forward pass per step over
 * all of their rows (a sampled sequence adds one, a beam search B), so the weights are read once
 * per step for all of them. Jobs join between steps and leave when done. Not thread-safe: run it
 * on the thread that drives the model.
 */
public final class DecodeLoop {
    private final ForwardPass model;
    private final int maxRows;
    private final List<DecodeJob> running = new ArrayList<>();
    private final DecodeBatch batch = new DecodeBatch();
    private float[] logits = new float[0];
    private int rows;

    /** {@code maxRows}: the most rows one step may run (the tensor-parallel step protocol has a limit). */
    public DecodeLoop(ForwardPass model, int maxRows) {
        if (maxRows <= 0) {
            throw new IllegalArgumentException("a step needs room for a row, got " + maxRows);
        }
        this.model = model;
        this.maxRows = maxRows;
    }

    /** Whether a job of {@code jobRows} rows fits next to the running ones (one always fits an empty loop). */
    public boolean hasRoomFor(int jobRows) {
        return running.isEmpty() || rows + jobRows <= maxRows;
    }

    public int maxRows() {
        return maxRows;
    }

    /** Adds a job that is not done yet; it runs from the next step on. */
    public void add(DecodeJob job) {
        if (job.done()) {
            throw new IllegalArgumentException("the job is done already");
        }
        if (job.rows() > maxRows) {
            throw new IllegalArgumentException("a job of " + job.rows() + " rows; a step runs at most " + maxRows);
        }
        running.add(job);
        rows += job.rows();
    }

    /** Drops every job (after a failed step). */
    public void clear() {
        running.clear();
        rows = 0;
    }

    public boolean isEmpty() {
        return running.isEmpty();
    }

    /** Rows the next step will run. */
    public int rows() {
        return rows;
    }

    /**
     * Runs one step of every running job and returns those that finished in it (they leave the
     * loop). On a failure the running jobs are left as they were.
     */
    public List<DecodeJob> step() {
        if (running.isEmpty()) {
            return List.of();
        }
        batch.clear();
        for (DecodeJob job : running) {
            job.addRows(batch);
        }
        int need = batch.size() * model.config().vocabSize();
        if (logits.length < need) {
            logits = new float[need];
        }
        long t0 = System.nanoTime();
        model.forwardBatch(batch, logits);
        long nanos = System.nanoTime() - t0;
        batch.clear();
        List<DecodeJob> finished = List.of();
        int row = 0;
        for (int i = 0; i < running.size(); i++) {
            DecodeJob job = running.get(i);
            int r = job.rows();
            job.accept(logits, row, nanos);
            row += r;
            if (job.done()) {
                if (finished.isEmpty()) {
                    finished = new ArrayList<>();
                }
                finished.add(job);
            }
        }
        if (!finished.isEmpty()) {
            running.removeAll(finished);
            rows = 0;
            for (DecodeJob job : running) {
                rows += job.rows();
            }
        }
        return finished;
    }
}
