package dev.agnomemory.core.storage;

import dev.agnomemory.core.SessionKey;
import java.time.Duration;

/**
 * One turn per session, shared by everyone who uses the same store: every thread, and for a server database every
 * application instance. An AI-service call takes its session's turn for its whole duration, so calls on one session
 * never interleave, wherever they run. Offered by {@link MemoryStorage#turns()}.
 *
 * <pre>{@code
 * try (SessionTurn turn = storage.turns().acquire(key, Duration.ofMinutes(2))) {
 *     MemoryStorage writes = turn.storage();          // this session's writes carry the turn's epoch
 *     writes.getOrCreateSession(key, "support-agent");
 *     writes.appendMessages(key, runId, List.of(question, answer));
 *     writes.completeRun(key, runId);
 * }                                                   // released; the next caller goes on
 * }</pre>
 *
 * <p>Rules (the abstract {@code SessionTurnsContractTest} in this module's test jar checks each one):
 * <ul>
 *   <li><b>One holder.</b> At most one caller holds a session's turn at a time. Turns of different sessions are
 *       independent: holding one never delays another. A turn can be taken before its session exists, and
 *       outlives the session's deletion.</li>
 *   <li><b>First come, first served.</b> Waiters in one process get the turn in the order they asked; across
 *       processes in the order their first attempt reached the store. No waiter is starved by others who keep
 *       taking and releasing the turn.</li>
 *   <li><b>Bounded waiting.</b> {@link #acquire} waits at most {@code maxWait} ({@link Duration#ZERO}: one attempt)
 *       and then throws {@link TurnTimeoutException} naming the session, how long it waited and who held the turn;
 *       an interrupt ends the wait with {@link InterruptedException}. Either way the caller leaves the line and
 *       holds nothing.</li>
 *   <li><b>Lease.</b> A turn is a lease of the storage's configured length ({@code turnLease}, 30 seconds by
 *       default), renewed by the storage in the background while the turn is open and ended by
 *       {@link SessionTurn#close()}. A holder that stops renewing (its process died, hung, or lost the database)
 *       keeps the turn only until the lease runs out; then the next waiter takes it.</li>
 *   <li><b>Fencing.</b> Every grant carries an epoch ({@link SessionTurn#epoch()}) greater than every epoch the
 *       store granted before. Writes through {@link SessionTurn#storage()} carry it, and the storage applies such a
 *       write only while the epoch is the session's current one, checked atomically with the write: once the turn
 *       was released, or its lease ran out and another caller took it, the write throws
 *       {@link StaleTurnException} and stores nothing. A lease that ran out while nobody else wanted the turn is
 *       still current, and its next renewal extends it again.</li>
 *   <li><b>Not reentrant.</b> A caller asking again for a turn it holds waits for itself.</li>
 *   <li><b>Cooperative.</b> Writes through the storage itself (not through a turn) carry no epoch: they are
 *       neither excluded nor fenced, as before.</li>
 *   <li><b>Bounded state.</b> A session has state for its turn only while the turn is held or waited for.</li>
 * </ul>
 *
 * <p>Thread-safe. Closing the storage releases the turns it holds and ends every wait with an
 * {@link IllegalStateException}.
 */
public interface SessionTurns {

    /**
     * Waits for the session's turn and takes it.
     *
     * @param key the session; it need not exist yet
     * @param maxWait how long to wait at most, not negative; {@link Duration#ZERO} makes one attempt
     * @return the turn, held until it is closed
     * @throws TurnTimeoutException when the turn did not come within {@code maxWait}
     * @throws InterruptedException when the waiting thread was interrupted
     * @throws StorageException when the store could not be asked (the caller holds nothing)
     * @throws IllegalStateException when the storage is closed
     */
    SessionTurn acquire(SessionKey key, Duration maxWait) throws InterruptedException;

    /**
     * How many callers of this process are waiting for the session's turn right now (not counting the holder);
     * for monitoring.
     *
     * @param key the session
     * @return the number of waiters in this process
     */
    int waiting(SessionKey key);
}
