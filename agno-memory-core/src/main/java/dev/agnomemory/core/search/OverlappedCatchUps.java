package dev.agnomemory.core.search;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.function.Supplier;

/**
 * The session catch-ups of one sweep, run so that they overlap: while one session's messages are written to the
 * index (one thread), the next one's are read and embedded.
 *
 * <p>Rules:
 * <ul>
 *   <li>Each catch-up goes to the executor, which runs it on a free helper or else on the submitting thread
 *       ({@link HelperThreads}); so at most one more catch-up than the executor has helpers runs at a time.</li>
 *   <li>{@link #await()} waits for every submitted catch-up, then returns their summed outcome, or throws the first
 *       failure (in submission order) after all of them ended, so nothing runs on after the sweep returned.</li>
 *   <li>Used by one thread (the sweep's).</li>
 * </ul>
 */
final class OverlappedCatchUps {

    private final Executor executor;
    private final Deque<FutureTask<IndexCatchUp.Outcome>> running = new ArrayDeque<>();
    private IndexCatchUp.Outcome done = IndexCatchUp.Outcome.NOTHING;
    private RuntimeException failure;

    OverlappedCatchUps(Executor executor) {
        this.executor = executor;
    }

    void submit(Supplier<IndexCatchUp.Outcome> catchUp) {
        FutureTask<IndexCatchUp.Outcome> task = new FutureTask<>(catchUp::get);
        executor.execute(task);
        running.addLast(task);
        while (!running.isEmpty() && running.peekFirst().isDone()) {
            collect(running.removeFirst()); // keeps the list short on a sweep of many sessions
        }
    }

    IndexCatchUp.Outcome await() {
        while (!running.isEmpty()) {
            collect(running.removeFirst());
        }
        if (failure != null) {
            throw failure;
        }
        return done;
    }

    /** Adds the catch-up's outcome, or records its failure; waits for it however the sweep's thread is interrupted. */
    private void collect(FutureTask<IndexCatchUp.Outcome> task) {
        try {
            done = done.plus(HelperThreads.await(task));
        } catch (RuntimeException | Error e) {
            if (failure == null) {
                failure = e instanceof RuntimeException r ? r : new IllegalStateException(e);
            } else {
                failure.addSuppressed(e);
            }
        }
    }
}
