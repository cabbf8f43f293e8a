package dev.agnomemory.core.search;

import dev.agnomemory.core.internal.Require;
import java.util.List;

/**
 * One message found by {@link ConversationIndex#search}, with the messages around it in its session.
 *
 * @param message the message that matched, not null
 * @param score how well it matched, higher is better; comparable only within one search's results
 * @param before up to {@link ConversationQuery#neighbours()} messages that precede it in its session, oldest
 *     first; never null
 * @param after up to {@link ConversationQuery#neighbours()} messages that follow it in its session, oldest first;
 *     never null
 */
public record ConversationHit(IndexedMessage message, double score, List<IndexedMessage> before,
        List<IndexedMessage> after) {

    /** Validates the components and copies the lists. */
    public ConversationHit {
        Require.notNull(message, "message");
        before = Require.copyOf(before, "before");
        after = Require.copyOf(after, "after");
    }
}
