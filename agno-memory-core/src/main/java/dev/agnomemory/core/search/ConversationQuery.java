package dev.agnomemory.core.search;

import dev.agnomemory.core.internal.Require;
import java.util.Optional;

/**
 * What to search for in one user's past messages.
 *
 * @param userId the user whose messages are searched, not blank; no other user's message is ever returned
 * @param text what to look for, not blank
 * @param limit how many messages to return at most, greater than 0
 * @param neighbours how many messages before and after each hit to return with it, 0 or more
 * @param excludedSessionId a session of the user whose messages are left out (for example the current one); may
 *     be null
 */
public record ConversationQuery(String userId, String text, int limit, int neighbours, String excludedSessionId) {

    /** The default {@link #limit()}. */
    public static final int DEFAULT_LIMIT = 10;

    /** The default {@link #neighbours()}. */
    public static final int DEFAULT_NEIGHBOURS = 1;

    /** The largest {@link #limit()}: more results would not be read by anyone and only cost time. */
    public static final int MAX_LIMIT = 1000;

    /** The largest {@link #neighbours()}. */
    public static final int MAX_NEIGHBOURS = 50;

    /** Validates the components. */
    public ConversationQuery {
        Require.notBlank(userId, "userId");
        Require.notBlank(text, "text");
        Require.positive(limit, "limit");
        if (limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be at most " + MAX_LIMIT + ", but is " + limit);
        }
        Require.notNegative(neighbours, "neighbours");
        if (neighbours > MAX_NEIGHBOURS) {
            throw new IllegalArgumentException("neighbours must be at most " + MAX_NEIGHBOURS + ", but is "
                    + neighbours);
        }
        if (excludedSessionId != null) {
            Require.notBlank(excludedSessionId, "excludedSessionId");
        }
    }

    /**
     * A query with the default limit and neighbours, excluding no session.
     *
     * @param userId the user
     * @param text what to look for
     * @return the query
     */
    public static ConversationQuery of(String userId, String text) {
        return new ConversationQuery(userId, text, DEFAULT_LIMIT, DEFAULT_NEIGHBOURS, null);
    }

    /** @return {@link #excludedSessionId()} when there is one */
    public Optional<String> excludedSession() {
        return Optional.ofNullable(excludedSessionId);
    }

    /**
     * @param limit how many messages to return at most
     * @return a copy with that limit
     */
    public ConversationQuery withLimit(int limit) {
        return new ConversationQuery(userId, text, limit, neighbours, excludedSessionId);
    }

    /**
     * @param neighbours how many messages before and after each hit to return with it
     * @return a copy with that number of neighbours
     */
    public ConversationQuery withNeighbours(int neighbours) {
        return new ConversationQuery(userId, text, limit, neighbours, excludedSessionId);
    }

    /**
     * @param sessionId a session whose messages are left out; null for none
     * @return a copy excluding that session
     */
    public ConversationQuery excluding(String sessionId) {
        return new ConversationQuery(userId, text, limit, neighbours, sessionId);
    }
}
