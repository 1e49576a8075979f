package io.isthmus.runtime.api;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A generation running in the background ({@link Engine#submit}). {@link #cancel()} stops it after
 * the current token; {@link #await()} returns the result (with stop reason CANCELLED if cancelled).
 */
public final class Generation {
    private final AtomicBoolean cancelled = new AtomicBoolean();
    final CompletableFuture<GenerationResult> future = new CompletableFuture<>();

    boolean isCancelled() {
        return cancelled.get();
    }

    /** Asks the generation to stop; returns at once. */
    public void cancel() {
        cancelled.set(true);
    }

    public boolean isDone() {
        return future.isDone();
    }

    /** Waits for the result; a failure of the generation is rethrown as it was thrown. */
    public GenerationResult await() throws InterruptedException {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } catch (CancellationException e) {
            throw new IllegalStateException("generation future cancelled", e);
        }
    }
}
