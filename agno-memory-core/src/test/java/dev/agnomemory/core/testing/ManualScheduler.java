package dev.agnomemory.core.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ScheduledExecutorService} on a virtual clock that runs nothing by itself: tasks run on the test's thread
 * when the test calls {@link #runReady()}, {@link #advance(Duration)} or {@link #runDue()}, so background work
 * happens exactly when the test says, with no sleeps and no races.
 *
 * <p>Rules: {@link #execute} and {@code schedule(..., 0)} tasks are ready at once; delayed tasks become ready when
 * the virtual time reaches them; periodic tasks are scheduled again after each run. Tasks a task submits run in the
 * same {@link #runReady()} call when they are ready. A task that throws is recorded ({@link #failures()}) and the
 * others go on.
 */
public final class ManualScheduler extends AbstractExecutorService implements ScheduledExecutorService {

    private final PriorityQueue<Task<?>> tasks = new PriorityQueue<>(Comparator.comparingLong((Task<?> t) -> t.at)
            .thenComparingLong(t -> t.order));
    private final List<Throwable> failures = new ArrayList<>();
    private long now;
    private long submitted;
    private boolean shutdown;

    /** @return how many tasks wait (ready or not) */
    public synchronized int pending() {
        return tasks.size();
    }

    /** @return the virtual time, in nanoseconds since the start */
    public synchronized long nanos() {
        return now;
    }

    /** @return failures of tasks so far */
    public synchronized List<Throwable> failures() {
        return List.copyOf(failures);
    }

    /**
     * Runs every task that is ready now, including those that become ready while doing so.
     *
     * @return how many ran
     */
    public int runReady() {
        int ran = 0;
        while (true) {
            Task<?> next;
            synchronized (this) {
                next = tasks.peek();
                if (next == null || next.at > now) {
                    return ran;
                }
                tasks.poll();
            }
            next.runOnce();
            ran++;
        }
    }

    /**
     * Runs every waiting task once, whatever its delay and without moving the clock: one-shot tasks are then done,
     * periodic ones wait for their next period (how a test makes a storage renew its turns now).
     *
     * @return how many ran
     */
    public int runDue() {
        List<Task<?>> waiting;
        synchronized (this) {
            waiting = new ArrayList<>(tasks);
            tasks.clear();
        }
        waiting.sort(Comparator.comparingLong((Task<?> t) -> t.at).thenComparingLong(t -> t.order));
        int ran = 0;
        for (Task<?> t : waiting) {
            if (!t.isCancelled()) {
                t.runOnce();
                ran++;
            }
        }
        return ran;
    }

    /**
     * Moves the virtual clock forward, running each task when its time comes.
     *
     * @param by how far
     * @return how many tasks ran
     */
    public int advance(Duration by) {
        long target;
        synchronized (this) {
            target = now + by.toNanos();
        }
        int ran = 0;
        while (true) {
            ran += runReady();
            synchronized (this) {
                Task<?> next = tasks.peek();
                if (next == null || next.at > target) {
                    now = target;
                    break;
                }
                now = next.at;
            }
        }
        return ran + runReady();
    }

    @Override
    public void execute(Runnable command) {
        schedule(command, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        return add(new Task<>(() -> {
            command.run();
            return null;
        }, unit.toNanos(delay), 0));
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        return add(new Task<>(callable, unit.toNanos(delay), 0));
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        return scheduleWithFixedDelay(command, initialDelay, period, unit);
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay,
            TimeUnit unit) {
        return add(new Task<>(() -> {
            command.run();
            return null;
        }, unit.toNanos(initialDelay), unit.toNanos(delay)));
    }

    private synchronized <V> Task<V> add(Task<V> task) {
        if (shutdown) {
            throw new java.util.concurrent.RejectedExecutionException("shut down");
        }
        task.at = now + task.firstDelay;
        task.order = submitted++;
        tasks.add(task);
        return task;
    }

    @Override
    public synchronized void shutdown() {
        shutdown = true;
        tasks.clear();
    }

    @Override
    public List<Runnable> shutdownNow() {
        shutdown();
        return List.of();
    }

    @Override
    public synchronized boolean isShutdown() {
        return shutdown;
    }

    @Override
    public synchronized boolean isTerminated() {
        return shutdown;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return true;
    }

    private final class Task<V> extends FutureTask<V> implements ScheduledFuture<V> {
        final long firstDelay;
        final long period;
        long at;
        long order;

        Task(Callable<V> callable, long firstDelay, long period) {
            super(callable);
            this.firstDelay = firstDelay;
            this.period = period;
        }

        void runOnce() {
            if (isCancelled()) {
                return;
            }
            if (period > 0) {
                boolean ok = runAndReset();
                if (!ok && !isCancelled()) {
                    recordFailure();
                    return;
                }
                synchronized (ManualScheduler.this) {
                    if (!shutdown && !isCancelled()) {
                        at = now + period;
                        order = submitted++;
                        tasks.add(this);
                    }
                }
            } else {
                run();
                recordFailure();
            }
        }

        private void recordFailure() {
            try {
                if (isDone() && !isCancelled()) {
                    get();
                }
            } catch (java.util.concurrent.ExecutionException e) {
                synchronized (ManualScheduler.this) {
                    failures.add(e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.CancellationException e) {
                // cancelled while running
            }
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(false);
            synchronized (ManualScheduler.this) {
                tasks.remove(this);
            }
            return cancelled;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            synchronized (ManualScheduler.this) {
                return unit.convert(at - now, TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
        }
    }
}
