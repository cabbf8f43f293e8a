package dev.agnomemory.core.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A scheduler whose tasks run only when the test says so ({@link #runDue()}), on the test's thread, whatever their
 * delays: what lets a test decide when a storage renews its turns, with no sleeps.
 */
public final class ManualScheduler extends AbstractExecutorService implements ScheduledExecutorService {

    private final List<Task> tasks = new CopyOnWriteArrayList<>();
    private volatile boolean shutdown;

    /**
     * Runs every task once: one-shot tasks are then done, periodic ones stay for the next call.
     *
     * @return how many tasks ran
     */
    public int runDue() {
        int ran = 0;
        for (Task t : new ArrayList<>(tasks)) {
            if (t.cancelled) {
                tasks.remove(t);
                continue;
            }
            if (!t.periodic) {
                tasks.remove(t);
                t.done = true;
            }
            t.command.run();
            ran++;
        }
        return ran;
    }

    /** @return how many periodic tasks are scheduled and not cancelled */
    public int periodicTasks() {
        return (int) tasks.stream().filter(t -> t.periodic && !t.cancelled).count();
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        return add(command, false);
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException("not needed by the tests");
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        return add(command, true);
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay,
            TimeUnit unit) {
        return add(command, true);
    }

    @Override
    public void execute(Runnable command) {
        add(command, false);
    }

    private Task add(Runnable command, boolean periodic) {
        if (shutdown) {
            throw new java.util.concurrent.RejectedExecutionException("shut down");
        }
        Task t = new Task(command, periodic);
        tasks.add(t);
        return t;
    }

    @Override
    public void shutdown() {
        shutdown = true;
    }

    @Override
    public List<Runnable> shutdownNow() {
        shutdown = true;
        List<Runnable> pending = new ArrayList<>();
        tasks.forEach(t -> pending.add(t.command));
        tasks.clear();
        return pending;
    }

    @Override
    public boolean isShutdown() {
        return shutdown;
    }

    @Override
    public boolean isTerminated() {
        return shutdown;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return shutdown;
    }

    private static final class Task implements ScheduledFuture<Object> {
        final Runnable command;
        final boolean periodic;
        volatile boolean cancelled;
        volatile boolean done;

        Task(Runnable command, boolean periodic) {
            this.command = command;
            this.periodic = periodic;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return 0;
        }

        @Override
        public int compareTo(Delayed other) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            cancelled = true;
            return true;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public boolean isDone() {
            return done || cancelled;
        }

        @Override
        public Object get() {
            return null;
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            return null;
        }
    }
}
