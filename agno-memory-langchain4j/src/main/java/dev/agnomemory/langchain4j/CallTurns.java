package dev.agnomemory.langchain4j;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.SessionTurn;
import dev.agnomemory.core.storage.TurnTimeoutException;
import java.time.Duration;

/**
 * Makes the AI service calls on one session take turns, so each call's run is written whole and the next call's
 * prompt holds it. {@link StorageCallTurns} takes the storage's session turns ({@code MemoryStorage.turns()}): in
 * process for MapDB, a fenced lease shared by every application instance for PostgreSQL.
 */
interface CallTurns {

    /**
     * Waits until no other call holds the session, then holds it for {@code callId}.
     *
     * @param key the session
     * @param callId the call (its invocation id), for logs
     * @param waitLimit how long to wait at most
     * @return the turn; the call writes its session through {@link SessionTurn#storage()} and closes it at its end
     * @throws TurnTimeoutException when the wait limit passed first (naming the session)
     * @throws TurnInterruptedException when the waiting thread was interrupted (its flag is set again)
     * @throws dev.agnomemory.core.storage.StorageException when the store could not be asked
     */
    SessionTurn take(SessionKey key, String callId, Duration waitLimit);
}
