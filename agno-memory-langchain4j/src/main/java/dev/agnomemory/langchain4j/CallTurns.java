package dev.agnomemory.langchain4j;

import dev.agnomemory.core.SessionKey;
import java.time.Duration;

/**
 * Makes the AI service calls on one session take turns, so each call's run is written whole and the next call's
 * prompt holds it. The in-process implementation ({@link InProcessCallTurns}) orders the calls of one JVM; a
 * storage-provided lease can implement the same interface to order the calls of several processes (the turn would
 * then also carry the fencing token its writes present).
 */
interface CallTurns {

    /**
     * Waits until no other call holds the session, then holds it for {@code callId}.
     *
     * @param key the session
     * @param callId the call (its invocation id), for logs
     * @param waitLimit how long to wait at most
     * @return the turn, or null when the wait limit passed or the thread was interrupted (the call then goes on
     *     without a turn, after a warning)
     */
    Turn take(SessionKey key, String callId, Duration waitLimit);

    /** A held turn. */
    interface Turn {
        /** Gives the turn to the next waiting call; later calls do nothing. */
        void release();
    }
}
