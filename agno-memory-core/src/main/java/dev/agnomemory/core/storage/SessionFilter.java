package dev.agnomemory.core.storage;

import dev.agnomemory.core.internal.Require;
import java.util.Optional;

/**
 * Which sessions {@link MemoryStorage#sessions(SessionFilter)} lists: those of one user, of one agent, of both, or
 * all; and which page of them, most recently updated first.
 *
 * <pre>{@code
 * storage.sessions(SessionFilter.byUser("alice").offset(20).limit(20));   // the second page of 20
 * }</pre>
 *
 * @param userId only sessions of this user, when present
 * @param agentId only sessions of this agent, when present
 * @param offset how many of the matching sessions to skip, newest first; not negative
 * @param limit at most how many to return, greater than 0 ({@link Integer#MAX_VALUE} for all)
 */
public record SessionFilter(Optional<String> userId, Optional<String> agentId, int offset, int limit) {

    private static final SessionFilter ANY = new SessionFilter(Optional.empty(), Optional.empty(), 0,
            Integer.MAX_VALUE);

    /** Validates the components: present ids must not be blank, the page must make sense. */
    public SessionFilter {
        Require.notNull(userId, "userId");
        Require.notNull(agentId, "agentId");
        userId.ifPresent(id -> Require.notBlank(id, "userId"));
        agentId.ifPresent(id -> Require.notBlank(id, "agentId"));
        Require.notNegative(offset, "offset");
        Require.positive(limit, "limit");
    }

    /** @return a filter that matches every session */
    public static SessionFilter any() {
        return ANY;
    }

    /**
     * @param userId the user
     * @return a filter for the sessions of one user
     */
    public static SessionFilter byUser(String userId) {
        return new SessionFilter(Optional.of(Require.notBlank(userId, "userId")), Optional.empty(), 0,
                Integer.MAX_VALUE);
    }

    /**
     * @param agentId the agent
     * @return a filter for the sessions of one agent, across users
     */
    public static SessionFilter byAgent(String agentId) {
        return new SessionFilter(Optional.empty(), Optional.of(Require.notBlank(agentId, "agentId")), 0,
                Integer.MAX_VALUE);
    }

    /**
     * @param userId the user
     * @param agentId the agent
     * @return a filter for the sessions of one user with one agent
     */
    public static SessionFilter byUserAndAgent(String userId, String agentId) {
        return new SessionFilter(Optional.of(Require.notBlank(userId, "userId")),
                Optional.of(Require.notBlank(agentId, "agentId")), 0, Integer.MAX_VALUE);
    }

    /**
     * @param n how many matching sessions to skip, newest first
     * @return this filter starting at the given place
     */
    public SessionFilter offset(int n) {
        return new SessionFilter(userId, agentId, n, limit);
    }

    /**
     * @param n at most how many sessions to return, greater than 0
     * @return this filter returning at most {@code n} sessions
     */
    public SessionFilter limit(int n) {
        return new SessionFilter(userId, agentId, offset, n);
    }
}
