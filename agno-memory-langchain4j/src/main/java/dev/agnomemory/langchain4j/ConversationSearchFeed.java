package dev.agnomemory.langchain4j;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.search.ConversationSearch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the provider's {@link ConversationSearch} which sessions changed, so it indexes them in the background
 * ({@link ConversationSearch#sessionChanged} returns at once). Rules:
 * <ul>
 *   <li>Called when a run's outcome is stored and when the memory deletes a session ({@link RunBoundaries}).</li>
 *   <li>Never fails the user's call: when the search refuses (closed before the provider), one warning is logged
 *       and later refusals only at DEBUG; nothing is lost, since every search catches up with storage first.</li>
 * </ul>
 */
final class ConversationSearchFeed implements Consumer<SessionKey> {

    private static final Logger log = LoggerFactory.getLogger(ConversationSearchFeed.class);

    private final ConversationSearch search;
    private final AtomicBoolean warned = new AtomicBoolean();

    ConversationSearchFeed(ConversationSearch search) {
        this.search = search;
    }

    @Override
    public void accept(SessionKey key) {
        try {
            search.sessionChanged(key);
        } catch (RuntimeException e) {
            if (warned.compareAndSet(false, true)) {
                log.warn("Could not tell the conversation search {} that {} changed; it catches up at its next "
                        + "search or sweep", search, key, e);
            } else {
                log.debug("Could not tell the conversation search {} that {} changed: {}", search, key,
                        e.toString());
            }
        }
    }
}
