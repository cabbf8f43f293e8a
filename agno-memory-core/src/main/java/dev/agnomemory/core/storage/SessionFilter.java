package dev.agnomemory.core.storage;

import dev.agnomemory.core.internal.Require;
import java.util.Optional;

/**
 * Which sessions {@link MemoryStorage#sessions(SessionFilter)} lists: those of one user, of one agent, of both, or
 * all.
 *
 * @param userId only sessions of this user, when present
 * @param agentId only sessions of this agent, when present
 */
public record SessionFilter(Optional<String> userId, Optional<String> agentId) {

    private static final SessionFilter ANY = new SessionFilter(Optional.empty(), Optional.empty());

    /** Validates the components: present ids must not be blank. */
    public SessionFilter {
        Require.notNull(userId, "userId");
        Require.notNull(agentId, "agentId");
        userId.ifPresent(id -> Require.notBlank(id, "userId"));
        agentId.ifPresent(id -> Require.notBlank(id, "agentId"));
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
        return new SessionFilter(Optional.of(Require.notBlank(userId, "userId")), Optional.empty());
    }

    /**
     * @param agentId the agent
     * @return a filter for the sessions of one agent, across users
     */
    public static SessionFilter byAgent(String agentId) {
        return new SessionFilter(Optional.empty(), Optional.of(Require.notBlank(agentId, "agentId")));
    }

    /**
     * @param userId the user
     * @param agentId the agent
     * @return a filter for the sessions of one user with one agent
     */
    public static SessionFilter byUserAndAgent(String userId, String agentId) {
        return new SessionFilter(Optional.of(Require.notBlank(userId, "userId")),
                Optional.of(Require.notBlank(agentId, "agentId")));
    }
}
