package dev.agnomemory.core.storage;

import dev.agnomemory.core.SessionKey;

/**
 * A write carried the epoch of a turn that is no longer the session's current one: the turn was released, or its
 * lease ran out and another caller took the session. Nothing was stored. The caller is a zombie for this session
 * and must not go on writing: its call should fail, and a new call take the turn again and re-read the session.
 */
public class StaleTurnException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final transient SessionKey key;
    private final long epoch;

    /**
     * @param key the session written to
     * @param epoch the stale epoch the write carried
     * @param why why the turn is no longer current, as far as this process knows
     */
    public StaleTurnException(SessionKey key, long epoch, String why) {
        super("The turn of session " + key.sessionId() + " of user " + key.userId() + " with epoch " + epoch
                + " is no longer current (" + why + "); the write was not stored");
        this.key = key;
        this.epoch = epoch;
    }

    /** @return the session written to */
    public SessionKey key() {
        return key;
    }

    /** @return the stale epoch the write carried */
    public long epoch() {
        return epoch;
    }
}
