package dev.agnomemory.core.storage.mapdb;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * When background maintenance (checkpoints, purges) runs. The default is one daemon thread per store; tests inject
 * one they drive by hand, so they need no sleeps.
 */
interface Scheduler {

    /** A scheduled task that can be called off. */
    interface Task {
        void cancel();
    }

    /**
     * Runs {@code task} once after {@code delay}, on a thread of the scheduler (never a caller's).
     *
     * @return the scheduled task; a scheduler that is shut down runs nothing and returns a task that does nothing
     */
    Task schedule(Runnable task, Duration delay);

    /** Runs nothing more and waits for a task that is running. Not interruptible; keeps the interrupt status. */
    void shutdown();

    /** The default: one daemon thread. */
    static Scheduler thread(String name) {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "agno-memory-maintenance " + name);
            t.setDaemon(true);
            return t;
        });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        executor.setRemoveOnCancelPolicy(true);
        return new Scheduler() {
            @Override
            public Task schedule(Runnable task, Duration delay) {
                try {
                    ScheduledFuture<?> f = executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
                    return () -> f.cancel(false);
                } catch (RejectedExecutionException e) {
                    return () -> { };
                }
            }

            @Override
            public void shutdown() {
                // Not shutdownNow(): an interrupt would abort file I/O half way.
                executor.shutdown();
                boolean interrupted = false;
                while (true) {
                    try {
                        if (executor.awaitTermination(1, TimeUnit.DAYS)) {
                            break;
                        }
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }
}
