package io.isthmus.runtime.api;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Generated tokens as an iterator ({@link Engine#stream}). Iteration blocks until the next token
 * is ready; {@link #close()} cancels the generation and waits for it to stop. {@link #result()}
 * gives the finished result once iteration has ended. One consumer thread.
 */
public final class TokenStream implements Iterator<GeneratedToken>, Iterable<GeneratedToken>, AutoCloseable {
    private static final GeneratedToken END = new GeneratedToken(Integer.MIN_VALUE, "");

    private final BlockingQueue<GeneratedToken> queue = new LinkedBlockingQueue<>();
    private Generation generation;
    private GeneratedToken next;
    private boolean ended;

    TokenListener listener() {
        return queue::add;
    }

    void start(Generation g) {
        this.generation = g;
        g.future.whenComplete((r, e) -> queue.add(END));
    }

    @Override
    public boolean hasNext() {
        if (ended) {
            return false;
        }
        if (next == null) {
            try {
                next = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                generation.cancel();
                throw new IllegalStateException("interrupted while waiting for a token", e);
            }
        }
        if (next == END) {
            ended = true;
            generation.future.join(); // rethrows a failure of the generation
            return false;
        }
        return true;
    }

    @Override
    public GeneratedToken next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        GeneratedToken t = next;
        next = null;
        return t;
    }

    @Override
    public Iterator<GeneratedToken> iterator() {
        return this;
    }

    /** The finished result; waits for the generation to end. */
    public GenerationResult result() throws InterruptedException {
        return generation.await();
    }

    /** Cancels the generation (if still running) and waits until it has stopped. */
    @Override
    public void close() {
        generation.cancel();
        generation.future.handle((r, e) -> null).join();
    }
}
