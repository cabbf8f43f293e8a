package dev.agnomemory.core.search;

import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.SessionKey;
import java.util.List;
import java.util.Optional;

/**
 * Searches everything a user has said, by meaning and by words: derived data built from the stored messages, which
 * can always be rebuilt from them.
 *
 * <p>Rules every implementation keeps:
 * <ul>
 *   <li><b>Isolation.</b> A search sees only the messages of {@link ConversationQuery#userId()}, filtered inside
 *       the index, not after the fact; the neighbours of a hit come from the hit's own session.</li>
 *   <li><b>Identity.</b> A message is identified by its session and {@link MessagePosition}; adding a message again
 *       replaces the indexed one (so replaying messages after a restart is harmless). Messages are meant to be
 *       immutable: a message indexed with its predecessors as context keeps the context it was indexed with.</li>
 *   <li><b>Read your writes.</b> A search started after {@link #add} or a removal returned sees its effect.</li>
 *   <li><b>Removal.</b> {@link #removeSession} and {@link #removeUser} make the messages unsearchable at once and
 *       drop the sessions' records; {@link #purgeDeleted()} makes their text leave the index's files.</li>
 *   <li><b>Records.</b> {@link #recordSession} keeps, per session, the stored version and position the index has
 *       caught up to ({@link IndexedSession}), so that whoever keeps the index current ({@link ConversationSearch})
 *       can tell cheaply which sessions changed. A record never moves back to a lower version of the same
 *       incarnation of a session; it is durable with the messages indexed before it.</li>
 *   <li>Thread-safe.</li>
 * </ul>
 */
public interface ConversationIndex extends AutoCloseable {

    /**
     * Indexes messages, embedding their texts in batches. Messages of one session should arrive in position order:
     * a message is indexed with the text of the messages before it in its session that are already indexed (or
     * earlier in the same call). Messages with blank text are skipped.
     *
     * @param messages the messages, of any users and sessions, not null
     */
    void add(List<IndexedMessage> messages);

    /**
     * Removes every message of a session.
     *
     * @param session the user and session
     */
    void removeSession(SessionKey session);

    /**
     * Removes every message of a user.
     *
     * @param userId the user, not blank
     */
    void removeUser(String userId);

    /**
     * The messages of one user most related to a query, best first.
     *
     * @param query the user, the text and the options
     * @return up to {@link ConversationQuery#limit()} hits, best first; empty when nothing matches
     */
    List<ConversationHit> search(ConversationQuery query);

    /**
     * Runs {@code catchUp} and answers as {@link #search(ConversationQuery)} would right after it: what
     * {@link ConversationSearch} does before each search (bringing the user's sessions in the index up to date).
     * An index may embed the query and read its entries meanwhile, running {@code catchUp} on another thread, as
     * long as the hits reflect every write made before {@code catchUp} ended (it reads again when the index changed);
     * the default runs the two one after the other on the calling thread.
     *
     * @param query the user, the text and the options
     * @param catchUp runs once, on the calling thread or another; its exception is the search's
     * @return up to {@link ConversationQuery#limit()} hits, best first; empty when nothing matches
     */
    default List<ConversationHit> search(ConversationQuery query, Runnable catchUp) {
        catchUp.run();
        return search(query);
    }

    /**
     * Shorthand for {@code search(new ConversationQuery(userId, text, limit, DEFAULT_NEIGHBOURS, null))}.
     *
     * @param userId the user whose messages are searched
     * @param text what to look for
     * @param limit how many messages to return at most
     * @return the hits, best first
     */
    default List<ConversationHit> search(String userId, String text, int limit) {
        return search(new ConversationQuery(userId, text, limit, ConversationQuery.DEFAULT_NEIGHBOURS, null));
    }

    /**
     * The position of the last indexed message of a session, so indexing can resume after it (for example after a
     * restart, from the stored messages that follow).
     *
     * @param session the user and session
     * @return the highest indexed position; empty when none of the session's messages is indexed
     */
    Optional<MessagePosition> lastIndexedPosition(SessionKey session);

    /**
     * Records how far the index has caught up with a stored session (see {@link IndexedSession}). Ignored when the
     * index already holds a higher version of the same incarnation of the session.
     *
     * @param session the record
     */
    void recordSession(IndexedSession session);

    /**
     * @param session the user and session
     * @return the session's record, empty when there is none (never recorded, or removed)
     */
    Optional<IndexedSession> indexedSession(SessionKey session);

    /**
     * @param userId the user, not blank
     * @return the records of the user's sessions, in no particular order
     */
    List<IndexedSession> indexedSessions(String userId);

    /**
     * @return the records of every user's sessions, in no particular order (for a sweep that finds sessions that
     *     no longer exist in storage)
     */
    List<IndexedSession> indexedSessions();

    /**
     * Makes everything added or removed so far survive a restart (vectors included, so they are not recomputed).
     * Until then a crash may lose recent changes, which are then indexed again from storage.
     */
    void commit();

    /**
     * Rewrites the parts of the index that still hold removed messages, and commits, so that the text of every
     * removed message leaves the index's files (an index keeps removed entries until they are merged away).
     * Costs time proportional to the size of the parts holding removed messages.
     */
    void purgeDeleted();

    /** Commits and releases the index's files. */
    @Override
    void close();
}
