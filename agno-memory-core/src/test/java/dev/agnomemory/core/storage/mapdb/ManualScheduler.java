package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.testing.TickingClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A {@link Scheduler} for tests: nothing runs until the test calls {@link #runDue()}, in the test's thread, so tests
 * of background maintenance need no sleeps. Due times follow a {@link TickingClock} the test advances.
 */
final class ManualScheduler implements Scheduler {

    private final TickingClock clock;
    private final List<Entry> tasks = new ArrayList<>();
    private boolean shutDown;

    private static final class Entry implements Task {
        final Instant due;
        final Runnable task;
        boolean cancelled;

        Entry(Instant due, Runnable task) {
            this.due = due;
            this.task = task;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    ManualScheduler(TickingClock clock) {
        this.clock = clock;
    }

    @Override
    public synchronized Task schedule(Runnable task, Duration delay) {
        if (shutDown) {
            return () -> { };
        }
        Entry e = new Entry(clock.instant().plus(delay), task);
        tasks.add(e);
        return e;
    }

    /** Runs the tasks that are due, in due order, including tasks they schedule that are due too. */
    int runDue() {
        int ran = 0;
        while (true) {
            Entry next;
            synchronized (this) {
                Instant now = clock.instant();
                tasks.removeIf(t -> t.cancelled);
                next = tasks.stream().filter(t -> !t.due.isAfter(now)).min(Comparator.comparing(t -> t.due))
                        .orElse(null);
                if (next == null) {
                    return ran;
                }
                tasks.remove(next);
            }
            next.task.run();
            ran++;
        }
    }

    /** How many tasks are waiting (not cancelled). */
    synchronized int pending() {
        tasks.removeIf(t -> t.cancelled);
        return tasks.size();
    }

    /** The earliest due time of a waiting task, or null. */
    synchronized Instant nextDue() {
        tasks.removeIf(t -> t.cancelled);
        return tasks.stream().map(t -> t.due).min(Comparator.naturalOrder()).orElse(null);
    }

    @Override
    public synchronized void shutdown() {
        shutDown = true;
        tasks.clear();
    }
}
