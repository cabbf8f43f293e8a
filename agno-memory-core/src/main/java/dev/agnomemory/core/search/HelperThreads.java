package dev.agnomemory.core.search;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The helper threads of this package: work that may overlap with what the calling thread does (embedding a query
 * while the index is read, catching up a second session while the first is written).
 *
 * <p>Rules:
 * <ul>
 *   <li>Never queues: a task for which no helper is free runs on the thread that submits it, also after
 *       {@code shutdown()}. So no task waits behind another, a submitter never blocks on a full queue, and work
 *       submitted while the owner closes still completes.</li>
 *   <li>Daemon threads, created on demand and ended after 30 idle seconds.</li>
 * </ul>
 */
final class HelperThreads {

    private HelperThreads() {
    }

    /**
     * @param name the threads' name prefix
     * @param max the most helper threads at a time
     * @return the pool; its owner shuts it down
     */
    static ThreadPoolExecutor newPool(String name, int max) {
        AtomicInteger count = new AtomicInteger();
        return new ThreadPoolExecutor(0, max, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, name + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, (task, pool) -> task.run());
    }

    /**
     * Waits for a task of a helper without being interruptible: the task runs on regardless, so it is waited for and
     * the interrupt status kept. Its exception is rethrown as it was thrown (a checked one in an
     * {@link IllegalStateException}).
     *
     * @return the task's result
     */
    static <T> T await(Future<T> task) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return task.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException r) {
                        throw r;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(cause);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
