package dev.agnomemory.core.internal;

import dev.agnomemory.core.SessionKey;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * Where a storage keeps the leases behind its session turns, for {@link LeasedTurns}: the one place that decides
 * who holds a session's turn, with which epoch, until when. In process for an embedded store; rows taken with
 * conditional updates for a server database. Internal: not part of the public API and may change without notice.
 *
 * <p>Every method is one short, atomic step; the waiting, the local order of waiters and the renewal schedule are
 * {@link LeasedTurns}' job.
 */
public interface LeaseStore {

    /**
     * Takes the session's turn when it is free (never granted, released, or its lease ran out) and no one with an
     * earlier place in line is waiting; otherwise keeps (or gives) the caller a place in line.
     *
     * @param key the session
     * @param holder who asks, for diagnostics
     * @param ticket the caller's place in line from an earlier attempt, or 0 for none yet
     * @param lease how long the turn is held without renewal
     * @return the outcome
     */
    Attempt tryAcquire(SessionKey key, String holder, long ticket, Duration lease);

    /**
     * Extends the lease of a turn that is still the session's current one.
     *
     * @return false when the turn was released or taken over (it is lost)
     */
    boolean renew(SessionKey key, long epoch, Duration lease);

    /** Releases the turn if it is still the session's current one, and wakes the waiters; otherwise nothing. */
    void release(SessionKey key, long epoch);

    /** Gives up a place in line (the waiter timed out or was interrupted). */
    void leaveLine(SessionKey key, long ticket);

    /** @return how long a waiter may wait before it asks again when nothing wakes it */
    Duration pollInterval();

    /**
     * Called once by {@link LeasedTurns} when it starts: how the store wakes the waiters of this process when it
     * learns that a turn may have become free (a server's notification). The default ignores it.
     *
     * @param waker wakes the first waiter of every session the predicate accepts
     */
    default void wakeWith(Waker waker) {
    }

    /** Stops what the store runs in the background; called when the storage closes, after turns were released. */
    default void close() {
    }

    /** Wakes waiters. */
    interface Waker {
        /** @param sessions which sessions' first waiters to wake */
        void wake(Predicate<SessionKey> sessions);
    }

    /**
     * The outcome of {@link #tryAcquire}.
     *
     * @param epoch the granted turn's epoch, or 0 when not granted
     * @param ticket the caller's place in line, when not granted (0 when the store keeps no line)
     * @param holder who holds the turn, when not granted and known
     * @param retryIn when the holder's lease runs out, when not granted and known; null otherwise
     */
    record Attempt(long epoch, long ticket, String holder, Duration retryIn) {

        /** @return a granted attempt */
        public static Attempt granted(long epoch) {
            return new Attempt(epoch, 0, null, null);
        }

        /** @return an attempt that must wait */
        public static Attempt waiting(long ticket, String holder, Duration retryIn) {
            return new Attempt(0, ticket, holder, retryIn);
        }

        /** @return whether the turn was granted */
        public boolean isGranted() {
            return epoch > 0;
        }
    }
}
