package dev.agnomemory.core;

import dev.agnomemory.core.internal.Require;

/**
 * Identifies a session: a session id is scoped to its user, so two users who pick the same session id have
 * two separate sessions and never see each other's messages.
 *
 * @param userId the owner of the session, not blank
 * @param sessionId the conversation's id, not blank
 */
public record SessionKey(String userId, String sessionId) {

    /** Validates the components. */
    public SessionKey {
        Require.notBlank(userId, "userId");
        Require.notBlank(sessionId, "sessionId");
    }

    /**
     * Shorthand for {@code new SessionKey(userId, sessionId)}.
     *
     * @param userId the owner of the session
     * @param sessionId the conversation's id
     * @return the key
     */
    public static SessionKey of(String userId, String sessionId) {
        return new SessionKey(userId, sessionId);
    }
}
