package dev.agnomemory.core.search;

import dev.agnomemory.core.SessionKey;
import java.util.Iterator;
import java.util.LinkedHashSet;

/**
 * The sessions and users waiting to be caught up in the background, and whether a worker is draining them.
 *
 * <p>Rules:
 * <ul>
 *   <li>Each session or user waits once, however often it is offered, in the order first offered.</li>
 *   <li>At most {@code capacity} wait. An offer beyond that is dropped and remembered as an overflow, which the
 *       worker answers with a sweep of the whole store (nothing is lost, only delayed).</li>
 *   <li>{@link #offer} answers true exactly when no worker is draining: the caller then starts one. A worker
 *       drains until {@link #poll} answers null, which also marks it stopped; so an offer never waits for the worker
 *       and never strands its work.</li>
 *   <li>Thread-safe; every method holds the queue's monitor for a few map operations only.</li>
 * </ul>
 */
final class PendingWork {

    /** A session to catch up, or (session null) a user. */
    record Work(SessionKey session, String userId) {
        static Work of(SessionKey session) {
            return new Work(session, null);
        }

        static Work ofUser(String userId) {
            return new Work(null, userId);
        }

        @Override
        public String toString() {
            return session != null ? "session " + session.sessionId() + " of user " + session.userId()
                    : "the sessions of user " + userId;
        }
    }

    private final int capacity;
    private final LinkedHashSet<Work> waiting = new LinkedHashSet<>();
    private boolean draining;
    private boolean overflowed;

    PendingWork(int capacity) {
        this.capacity = capacity;
    }

    /**
     * @param work what to catch up
     * @return whether the caller must start a worker
     */
    synchronized boolean offer(Work work) {
        if (waiting.size() >= capacity && !waiting.contains(work)) {
            overflowed = true;
        } else {
            waiting.add(work);
        }
        if (draining) {
            return false;
        }
        draining = true;
        return true;
    }

    /** @return the next work, or null when there is none (the worker then stops) */
    synchronized Work poll() {
        Iterator<Work> it = waiting.iterator();
        if (!it.hasNext()) {
            draining = false;
            return null;
        }
        Work next = it.next();
        it.remove();
        return next;
    }

    /** @return whether offers were dropped since the last call (the worker then sweeps the whole store) */
    synchronized boolean takeOverflow() {
        boolean was = overflowed;
        overflowed = false;
        return was;
    }

    /** Marks the worker stopped without draining (after a failure or at close); waiting work stays. */
    synchronized void stopped() {
        draining = false;
    }

    int capacity() {
        return capacity;
    }
}
