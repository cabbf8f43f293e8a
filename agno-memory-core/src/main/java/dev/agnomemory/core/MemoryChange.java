package dev.agnomemory.core;

import dev.agnomemory.core.internal.Require;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One entry of a user memory's history (Mem0's {@code history(memory_id)}): every add, update and delete is
 * recorded, with the text and topics before and after, when, and what caused it.
 *
 * @param userId the memory's user, not blank
 * @param memoryId the memory's id, not blank
 * @param kind what happened
 * @param previousMemory the text before; empty for {@link Kind#ADDED}
 * @param previousTopics the topics before; empty for {@link Kind#ADDED}
 * @param newMemory the text after; empty for {@link Kind#DELETED}
 * @param newTopics the topics after; empty for {@link Kind#DELETED}
 * @param at when it happened, not null
 * @param cause what made it happen, not null
 */
public record MemoryChange(String userId, String memoryId, Kind kind, Optional<String> previousMemory,
        List<String> previousTopics, Optional<String> newMemory, List<String> newTopics, Instant at,
        MemoryChangeCause cause) {

    /** What a change did to the memory. */
    public enum Kind {
        /** The memory was created. */
        ADDED,
        /** Its text or topics changed. */
        UPDATED,
        /** It was deleted. */
        DELETED
    }

    /** Validates the components and copies the lists. */
    public MemoryChange {
        Require.notBlank(userId, "userId");
        Require.notBlank(memoryId, "memoryId");
        Require.notNull(kind, "kind");
        Require.notNull(previousMemory, "previousMemory");
        previousTopics = Require.copyOf(previousTopics, "previousTopics");
        Require.notNull(newMemory, "newMemory");
        newTopics = Require.copyOf(newTopics, "newTopics");
        Require.notNull(at, "at");
        Require.notNull(cause, "cause");
        if ((kind == Kind.ADDED) == previousMemory.isPresent()) {
            throw new IllegalArgumentException("previousMemory must be present exactly when the kind is not ADDED");
        }
        if ((kind == Kind.DELETED) == newMemory.isPresent()) {
            throw new IllegalArgumentException("newMemory must be present exactly when the kind is not DELETED");
        }
    }

    /**
     * The change that turns {@code before} into {@code after}.
     *
     * @param before the memory before, or null when it is new
     * @param after the memory after, or null when it is deleted
     * @param at when
     * @param cause why
     * @return the change
     */
    public static MemoryChange between(UserMemory before, UserMemory after, Instant at, MemoryChangeCause cause) {
        UserMemory any = before != null ? before : Require.notNull(after, "after");
        Kind kind = before == null ? Kind.ADDED : after == null ? Kind.DELETED : Kind.UPDATED;
        return new MemoryChange(any.userId(), any.memoryId(), kind,
                Optional.ofNullable(before).map(UserMemory::memory), before == null ? List.of() : before.topics(),
                Optional.ofNullable(after).map(UserMemory::memory), after == null ? List.of() : after.topics(), at,
                cause);
    }
}
