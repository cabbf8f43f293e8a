package dev.agnomemory.core;

import dev.agnomemory.core.internal.Require;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A fact about a user, kept across all of the user's sessions.
 *
 * <p>A memory belongs to its user; {@code agentId}, when present, scopes it to one agent of that user (Agno's
 * memories are per user; an application that keeps each agent's memories apart records the agent here and reads
 * with an agent filter). Its identity is the user and the memory id: the agent is an attribute, not part of the key.
 *
 * @param memoryId the memory's id, unique within the user, not blank
 * @param userId the user the memory is about, not blank
 * @param memory the fact as a short third-person statement, not blank
 * @param topics topics of the fact; never null
 * @param input the user input the memory was extracted from; may be null
 * @param createdAt when the memory was first stored, not null
 * @param updatedAt when the memory was last changed, not null
 * @param agentId the agent the memory is scoped to, or empty for a memory of the user across agents
 */
public record UserMemory(String memoryId, String userId, String memory, List<String> topics, String input,
        Instant createdAt, Instant updatedAt, Optional<String> agentId) {

    /** Validates the components and copies {@code topics}. */
    public UserMemory {
        Require.notBlank(memoryId, "memoryId");
        Require.notBlank(userId, "userId");
        Require.notBlank(memory, "memory");
        topics = Require.copyOf(topics, "topics");
        Require.notNull(createdAt, "createdAt");
        Require.notNull(updatedAt, "updatedAt");
        Require.notNull(agentId, "agentId");
        agentId.ifPresent(a -> Require.notBlank(a, "agentId"));
    }

    /**
     * A memory of the user across agents.
     *
     * @param memoryId the memory's id
     * @param userId the user
     * @param memory the fact
     * @param topics its topics
     * @param input the input it came from; may be null
     * @param createdAt when it was first stored
     * @param updatedAt when it was last changed
     */
    public UserMemory(String memoryId, String userId, String memory, List<String> topics, String input,
            Instant createdAt, Instant updatedAt) {
        this(memoryId, userId, memory, topics, input, createdAt, updatedAt, Optional.empty());
    }

    /**
     * A new memory with a random id, created now, of the user across agents.
     *
     * @param userId the user the memory is about
     * @param memory the fact
     * @param topics its topics; may be null
     * @param input the input it came from; may be null
     * @return the memory
     */
    public static UserMemory create(String userId, String memory, List<String> topics, String input) {
        Instant now = Instant.now();
        return new UserMemory(UUID.randomUUID().toString(), userId, memory, topics, input, now, now);
    }

    /**
     * This memory with new text and topics, updated now; id, user, agent, input and creation time are kept.
     *
     * @param newMemory the new fact
     * @param newTopics the new topics; may be null
     * @return the changed copy
     */
    public UserMemory withMemory(String newMemory, List<String> newTopics) {
        return new UserMemory(memoryId, userId, newMemory, newTopics, input, createdAt, Instant.now(), agentId);
    }

    /**
     * This memory scoped to one agent (or to none).
     *
     * @param agent the agent, or null for a memory of the user across agents
     * @return the changed copy
     */
    public UserMemory withAgentId(String agent) {
        return new UserMemory(memoryId, userId, memory, topics, input, createdAt, updatedAt,
                Optional.ofNullable(agent));
    }
}
