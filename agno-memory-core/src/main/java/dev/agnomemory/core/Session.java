package dev.agnomemory.core;

import dev.agnomemory.core.internal.JsonText;
import dev.agnomemory.core.internal.Require;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One conversation of a user with an agent, as stored (its runs are read separately).
 *
 * @param key the user and session id, not null
 * @param agentId the agent the session belongs to, if any
 * @param name the session's name (Agno's {@code session_name}), if one was set
 * @param createdAt when the session was created, not null
 * @param updatedAt when anything in the session last changed, not null
 * @param version a number that grows with every change of the session (message, run, summary, name, state,
 *     data); it never repeats for a session key, even when the session is deleted and created again, so a cache
 *     that remembers it can tell cheaply whether the session changed
 * @param runCount how many runs the session has, finished or not
 * @param metrics the sum of the metrics of the session's finished runs
 * @param summary the latest summary of the session, if one was saved
 * @param state the session state (Agno's {@code session_state}): a JSON object, {@code {}} when none was set
 * @param data small string values adapters and applications attach to the session; never null
 */
public record Session(SessionKey key, Optional<String> agentId, Optional<String> name, Instant createdAt,
        Instant updatedAt, long version, long runCount, RunMetrics metrics, Optional<SessionSummary> summary,
        String state, Map<String, String> data) {

    /** The state of a session that has none. */
    public static final String EMPTY_STATE = "{}";

    /** Validates the components and copies {@code data}. */
    public Session {
        Require.notNull(key, "key");
        Require.notNull(agentId, "agentId");
        Require.notNull(name, "name");
        Require.notNull(createdAt, "createdAt");
        Require.notNull(updatedAt, "updatedAt");
        Require.notNegative(version, "version");
        Require.notNegative(runCount, "runCount");
        Require.notNull(metrics, "metrics");
        Require.notNull(summary, "summary");
        JsonText.requireObject(state, "state");
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
