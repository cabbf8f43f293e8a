package dev.agnomemory.core.storage;

import dev.agnomemory.core.SessionKey;
import java.time.Duration;
import java.util.Optional;

/**
 * A caller waited for a session's turn as long as it was willing to ({@link SessionTurns#acquire}'s
 * {@code maxWait}) and did not get it. It holds nothing and is no longer in line.
 */
public class TurnTimeoutException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient SessionKey key;
    private final Duration waited;
    private final String holder;

    /**
     * @param key the session
     * @param waited how long the caller waited
     * @param holder who held the turn at the last attempt, as the store records holders (process, host and
     *     thread); null when unknown or when others were ahead in line for a free turn
     */
    public TurnTimeoutException(SessionKey key, Duration waited, String holder) {
        super("Waited " + waited + " for the turn of session " + key.sessionId() + " of user " + key.userId()
                + " without getting it; " + (holder == null ? "other callers were ahead in line"
                        : "it was held by " + holder));
        this.key = key;
        this.waited = waited;
        this.holder = holder;
    }

    /** @return the session */
    public SessionKey key() {
        return key;
    }

    /** @return how long the caller waited */
    public Duration waited() {
        return waited;
    }

    /** @return who held the turn at the last attempt, when known */
    public Optional<String> holder() {
        return Optional.ofNullable(holder);
    }
}
