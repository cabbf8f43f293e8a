package dev.agnomemory.core;

import dev.agnomemory.core.internal.Require;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One conversation of a user with an agent, as stored (its runs are read separately).
 *
 * @param key the user and session id, not null
 * @param agentId the agent the session belongs to, if any
 * @param createdAt when the session was created, not null
 * @param updatedAt when anything in the session last changed, not null
 * @param runCount how many runs the session has, completed or not
 * @param summary the latest summary of the session, if one was saved
 * @param data small string values users attach to the session (name, state); never null
 */
public record Session(SessionKey key, Optional<String> agentId, Instant createdAt, Instant updatedAt, long runCount,
        Optional<SessionSummary> summary, Map<String, String> data) {

    /** Validates the components and copies {@code data}. */
    public Session {
        Require.notNull(key, "key");
        Require.notNull(agentId, "agentId");
        Require.notNull(createdAt, "createdAt");
        Require.notNull(updatedAt, "updatedAt");
        Require.notNegative(runCount, "runCount");
        Require.notNull(summary, "summary");
        data = Require.copyOf(data, "data");
    }

    /** @return the owner of the session */
    public String userId() {
        return key.userId();
    }

    /** @return the session id */
    public String sessionId() {
        return key.sessionId();
    }
}
