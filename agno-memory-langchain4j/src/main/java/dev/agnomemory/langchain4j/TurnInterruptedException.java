package dev.agnomemory.langchain4j;

import dev.agnomemory.core.SessionKey;

/**
 * An AI service call was interrupted while it waited for its session's turn: it holds nothing, wrote nothing, and
 * the thread's interrupt flag is set again.
 */
public class TurnInterruptedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param key the session
     * @param callId the call's invocation id
     */
    public TurnInterruptedException(SessionKey key, String callId) {
        super("Call " + callId + " was interrupted while it waited for the turn of session " + key.sessionId()
                + " of user " + key.userId() + "; it wrote nothing");
    }
}
