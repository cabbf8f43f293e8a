package dev.agnomemory.langchain4j;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.internal.Require;

/**
 * Turns a LangChain4j memory id (the {@code @MemoryId} argument of an AI service method) into the user and
 * session it stands for. This is how the user id reaches the memory.
 *
 * <p>{@link #withDefaultUser(String)}, the default, follows these rules:
 * <ul>
 *   <li>a {@link SessionKey} memory id is used as it is: pass {@code SessionKey.of(userId, sessionId)} as the
 *       {@code @MemoryId} argument to keep users apart;</li>
 *   <li>any other memory id is a session id of the default user, by its {@code toString()} (so it must have a
 *       stable string form, as strings, numbers, UUIDs and records do);</li>
 *   <li>a null memory id is an {@link IllegalArgumentException}.</li>
 * </ul>
 * Two users never share a session: a session is identified by user id and session id together.
 */
@FunctionalInterface
public interface SessionKeyResolver {

    /**
     * @param memoryId the memory id, not null
     * @return the user and session
     */
    SessionKey resolve(Object memoryId);

    /**
     * The default rules, with {@code userId} for memory ids that are not {@link SessionKey}s.
     *
     * @param userId the user of plain memory ids
     * @return the resolver
     */
    static SessionKeyResolver withDefaultUser(String userId) {
        Require.notBlank(userId, "userId");
        return memoryId -> {
            Require.notNull(memoryId, "memoryId");
            if (memoryId instanceof SessionKey key) {
                return key;
            }
            return new SessionKey(userId, Require.notBlank(memoryId.toString(), "memoryId.toString()"));
        };
    }
}
