package dev.agnomemory.core.search;

import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.SessionKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The last few messages this process indexed per session, so appending to a session needs no index look-up (which
 * would first make the index's recent writes searchable: a segment flush per appended message).
 *
 * <p>Rules:
 * <ul>
 *   <li>Holds the texts of the {@link MessageDocuments#CONTEXT_BEFORE} highest positions indexed per session,
 *       for at most {@link #CAPACITY} sessions (least recently used dropped first).</li>
 *   <li>{@link #before} answers only when every position it holds is below the asked one: then no indexed message
 *       lies between them (it would have entered the tail). Otherwise, or for a session it does not hold, the
 *       caller reads the index.</li>
 *   <li>Removing a session makes its tail empty: the session is then known to hold no indexed message, so the
 *       first message added next (a session indexed from its start) needs no index look-up either. Removing a user
 *       drops the tails of the user's sessions.</li>
 *   <li>Not thread-safe: used under the index's write lock.</li>
 * </ul>
 */
final class SessionTails {

    static final int CAPACITY = 10_000;

    private record TailMessage(MessagePosition position, String text) {
    }

    private final LinkedHashMap<SessionKey, List<TailMessage>> tails = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<SessionKey, List<TailMessage>> eldest) {
            return size() > CAPACITY;
        }
    };

    /** The texts right before {@code position} in the session, oldest first, when the tail knows them. */
    Optional<List<String>> before(SessionKey session, MessagePosition position) {
        List<TailMessage> tail = tails.get(session);
        if (tail == null || !tail.isEmpty() && tail.get(tail.size() - 1).position().compareTo(position) >= 0) {
            return Optional.empty();
        }
        return Optional.of(tail.stream().map(TailMessage::text).toList());
    }

    /**
     * Records that a message was indexed.
     *
     * @param session its session
     * @param position its position
     * @param text its text
     * @param knownBefore the texts right before it (from {@link #before} or the index), oldest first
     */
    void indexed(SessionKey session, MessagePosition position, String text, List<String> knownBefore) {
        List<TailMessage> tail = tails.get(session);
        if (tail != null && !tail.isEmpty() && tail.get(tail.size() - 1).position().compareTo(position) >= 0) {
            tails.remove(session); // out of order: no longer sure what precedes what
            return;
        }
        List<TailMessage> next = new ArrayList<>(MessageDocuments.CONTEXT_BEFORE);
        if (tail != null) {
            next.addAll(tail);
        } else {
            // Texts read from the index: their positions are unknown but below this one.
            for (String t : knownBefore) {
                next.add(new TailMessage(new MessagePosition(0, 0), t));
            }
        }
        next.add(new TailMessage(position, text));
        while (next.size() > MessageDocuments.CONTEXT_BEFORE) {
            next.remove(0);
        }
        tails.put(session, next);
    }

    /** Records that the session holds no indexed message (it was just removed from the index). */
    void removeSession(SessionKey session) {
        tails.put(session, List.of());
    }

    void removeUser(String userId) {
        tails.keySet().removeIf(k -> k.userId().equals(userId));
    }

    void clear() {
        tails.clear();
    }
}
