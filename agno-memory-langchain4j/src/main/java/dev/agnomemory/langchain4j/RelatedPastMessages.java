package dev.agnomemory.langchain4j;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.search.ConversationHit;
import dev.agnomemory.core.search.ConversationQuery;
import dev.agnomemory.core.search.ConversationSearch;
import dev.agnomemory.core.search.IndexedMessage;
import java.util.List;

/**
 * Chooses the past messages of the related-messages block ({@link MemoryPromptBlocks#relatedPastMessages}) that
 * {@code addRelatedPastMessagesToContext(k)} adds to the system message.
 *
 * <p>Rules:
 * <ul>
 *   <li>The query is the current user message, its first {@value #MAX_QUERY_CHARACTERS} characters; without one
 *       (blank, or not known) there is no block.</li>
 *   <li>Only the user's <i>other</i> sessions are searched: the current session's messages are in the history
 *       or reachable with the history tools.</li>
 *   <li>The {@code k} most related messages, best first, by the {@link ConversationSearch}'s ranking (meaning and
 *       words); without their neighbours.</li>
 *   <li>A failing search throws; the {@link SystemPromptComposer} then leaves the block out.</li>
 * </ul>
 */
final class RelatedPastMessages {

    static final int MAX_QUERY_CHARACTERS = 2_000;

    private final ConversationSearch search;
    private final int count;

    RelatedPastMessages(ConversationSearch search, int count) {
        this.search = search;
        this.count = count;
    }

    /**
     * @param session the current session
     * @param query the current user message, or null
     * @return the messages, best first; empty when there is no query or nothing matches
     */
    List<IndexedMessage> find(SessionKey session, String query) {
        if (query == null || query.isBlank()) {
            return List.of();
        }
        String text = Previews.cut(query.strip(), MAX_QUERY_CHARACTERS);
        List<ConversationHit> hits = search.search(new ConversationQuery(session.userId(), text, count, 0,
                session.sessionId()));
        return hits.stream().map(ConversationHit::message).toList();
    }
}
