package io.isthmus.runtime.api;

import io.isthmus.runtime.generate.DecodeJob;
import io.isthmus.runtime.generate.DecodeLoop;
import io.isthmus.runtime.generate.Generator;

import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * The engine's generations, batched: requests queue here; on the engine's thread each is started
 * (its prompt runs) as soon as the running ones leave room in a step, and then all running
 * generations decode together, one forward pass per step for all of their rows (a beam search
 * brings B). Requests are admitted in arrival order. The loop runs while there is work and ends
 * when there is none, so other work on the engine's thread (scoring, shutdown) runs between busy
 * periods.
 */
final class RequestScheduler {
    record Request(GenerationRequest request, TokenListener listener, Generation handle) {
    }

    private final Engine engine;
    private final Generator generator;
    private final DecodeLoop loop;
    private final Executor engineThread;
    private final ArrayDeque<Request> queue = new ArrayDeque<>(); // guarded by this
    private final Map<DecodeJob, Request> running = new IdentityHashMap<>(); // engine thread only
    private boolean looping; // guarded by this
    private boolean closed; // guarded by this

    RequestScheduler(Engine engine, Generator generator, Executor engineThread) {
        this.engine = engine;
        this.generator = generator;
        this.loop = new DecodeLoop(generator.model(), generator.model().maxBatchRows());
        this.engineThread = engineThread;
    }

    /** Queues a request; it starts on the engine's thread when a step has room for it. */
    void submit(Request r) {
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("engine is closed");
            }
            queue.add(r);
            if (looping) {
                return;
            }
            looping = true;
        }
        engineThread.execute(this::run);
    }

    /** Fails the requests not started yet; running ones go on to their end. */
    void close() {
        List<Request> dropped;
        synchronized (this) {
            closed = true;
            dropped = List.copyOf(queue);
            queue.clear();
        }
        for (Request r : dropped) {
            r.handle().future.completeExceptionally(new IllegalStateException("engine is closed"));
        }
    }

    private void run() {
        while (true) {
            admit();
            if (loop.isEmpty()) {
                synchronized (this) {
                    if (queue.isEmpty()) {
                        looping = false;
                        return;
                    }
                }
                continue;
            }
            List<DecodeJob> finished;
            try {
                finished = engine.onEngineThread(loop::step);
            } catch (Throwable e) {
                failRunning(e);
                continue;
            }
            for (DecodeJob job : finished) {
                complete(running.remove(job), job);
            }
        }
    }

    /** Starts queued requests, first come first served, while the step has room for their rows. */
    private void admit() {
        while (true) {
            Request r;
            synchronized (this) {
                r = queue.peek();
                if (r == null || !loop.hasRoomFor(r.request().beams().beams())) {
                    return;
                }
                queue.poll();
            }
            try {
                engine.ensureOpen();
                GenerationRequest q = r.request();
                int[] prompt = q.promptTokenIds() != null ? q.promptTokenIds() : generator.tokenize(q.prompt());
                DecodeJob job = engine.onEngineThread(() -> generator.start(prompt, q.maxTokens(), q.sampling(), q.beams(),
                        q.ignoreEos(), (id, text) -> r.listener().onToken(new GeneratedToken(id, text)),
                        r.handle()::isCancelled));
                if (job.done()) {
                    complete(r, job);
                } else {
                    running.put(job, r);
                    loop.add(job);
                }
            } catch (Throwable e) {
                r.handle().future.completeExceptionally(e);
            }
        }
    }

    private void complete(Request r, DecodeJob job) {
        Generator.Output out = job.result();
        r.handle().future.complete(new GenerationResult(out.text(), out.tokenIds(), out.promptTokenIds(),
                out.stopReason(), out.timings(), engine.worldSize(), out.score()));
    }

    /** A failed step fails every running generation (their caches are released where the group still works). */
    private void failRunning(Throwable e) {
        for (Map.Entry<DecodeJob, Request> j : running.entrySet()) {
            try {
                j.getKey().abandon();
            } catch (RuntimeException ignored) {
                // the group is broken; nothing to release
            }
            j.getValue().handle().future.completeExceptionally(e);
        }
        running.clear();
        loop.clear();
    }
}
