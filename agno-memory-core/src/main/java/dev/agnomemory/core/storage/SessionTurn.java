package dev.agnomemory.core.storage;

import dev.agnomemory.core.SessionKey;

/**
 * A session's turn, taken with {@link SessionTurns#acquire}: held until {@link #close()}, renewed by the storage
 * meanwhile. Its {@link #storage()} is the storage as seen by the holder: writes to the session carry the turn's
 * epoch and are refused once the turn is no longer current (see {@link SessionTurns} for the rules).
 *
 * <p>Thread-safe: the thread that closes a turn need not be the one that took it (a streaming call ends on
 * another thread).
 */
public interface SessionTurn extends AutoCloseable {

    /** @return the session this turn is of */
    SessionKey key();

    /**
     * The fencing token: greater than the epoch of every earlier turn the store granted, for any session.
     *
     * @return the epoch, greater than 0
     */
    long epoch();

    /**
     * Whether this turn is still held, as far as this process knows: false once it was closed, or once the storage
     * learned (at a renewal or a refused write) that its lease ran out and another caller took the session. True
     * does not promise that the next write succeeds: only the storage decides, atomically with the write.
     *
     * @return whether the turn is held
     */
    boolean held();

    /**
     * The storage as the holder of this turn sees it. Writes to this turn's session ({@code getOrCreateSession},
     * {@code updateSessionData}, {@code updateSessionState}, {@code renameSession}, {@code deleteSession},
     * {@code appendMessage(s)}, {@code finishRun}, {@code completeRun}, {@code saveSummary}) carry the epoch and
     * throw {@link StaleTurnException}, storing nothing, when it is no longer current. Writes to any other session
     * are refused with {@link IllegalArgumentException}. Reads, and writes of user memories (which belong to the
     * user, not to the session), go to the storage unchanged. Its {@code close()} closes this turn, not the storage.
     *
     * @return the view, the same object on every call
     */
    MemoryStorage storage();

    /**
     * Releases the turn, so the next waiter gets it at once. Idempotent; never throws: when the store cannot be
     * reached the failure is logged and the lease runs out by itself. A turn that was taken over meanwhile is left
     * to its new holder.
     */
    @Override
    void close();
}
