package dev.agnomemory.langchain4j;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.SessionTurn;
import dev.agnomemory.core.storage.SessionTurns;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Call turns over the storage's session turns: one AI service call holds its session's turn from its start to its
 * end, whichever process it runs in, and writes through the turn's fenced view of the storage.
 */
final class StorageCallTurns implements CallTurns {

    private static final Logger log = LoggerFactory.getLogger(StorageCallTurns.class);

    private final SessionTurns turns;

    StorageCallTurns(SessionTurns turns) {
        this.turns = turns;
    }

    @Override
    public SessionTurn take(SessionKey key, String callId, Duration waitLimit) {
        try {
            SessionTurn turn = turns.acquire(key, waitLimit);
            log.trace("Call {} took the turn of {} with epoch {}", callId, key, turn.epoch());
            return turn;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TurnInterruptedException(key, callId);
        }
    }
}
