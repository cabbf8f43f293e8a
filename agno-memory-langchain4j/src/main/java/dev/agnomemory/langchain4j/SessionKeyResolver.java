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
 *   <li>any other memory id is a session id of the default user, told apart by its {@code toString()}, as
 *       LangChain4j's persistent chat memory stores do: the {@code Integer} 1 and the {@code String} "1" are one
 *       session, and the id must have a stable string form (strings, numbers, UUIDs and records do);</li>
 *   <li>every id LangChain4j accepts is accepted, including the empty string and whitespace: such ids (and ids
 *       that start with {@value #ESCAPE_PREFIX}) are stored as {@value #ESCAPE_PREFIX} followed by the id in
 *       double quotes, JSON-escaped ({@code ""} becomes {@code agno-memory-id:""}); so no two memory ids share a
 *       session, and every other id is its own session id, unchanged;</li>
 *   <li>a null memory id, or one whose {@code toString()} is null, is an {@link IllegalArgumentException}.</li>
 * </ul>
 * Two users never share a session: a session is identified by user id and session id together.
 */
@FunctionalInterface
public interface SessionKeyResolver {

    /** What the session id of an escaped memory id starts with. */
    String ESCAPE_PREFIX = "agno-memory-id:";

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
        return memoryId -> memoryId instanceof SessionKey key ? key : new SessionKey(userId, sessionIdOf(memoryId));
    }

    /**
     * The session id a plain memory id stands for, by the rules above.
     *
     * @param memoryId the memory id, not null
     * @return its session id, never blank
     */
    static String sessionIdOf(Object memoryId) {
        Require.notNull(memoryId, "memoryId");
        String text = memoryId.toString();
        if (text == null) {
            throw new IllegalArgumentException("memoryId.toString() must not return null (memory id of "
                    + memoryId.getClass().getName() + ")");
        }
        if (!text.isBlank() && !text.startsWith(ESCAPE_PREFIX)) {
            return text;
        }
        StringBuilder out = new StringBuilder(ESCAPE_PREFIX.length() + text.length() + 2).append(ESCAPE_PREFIX)
                .append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
