package dev.agnomemory.core.search;

import dev.agnomemory.core.SessionKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The session records of an index held in memory by user, so that the check a search makes before it runs (which
 * of the user's sessions changed?) reads no index file. For an index that is the only writer of its files.
 *
 * <p>Rules: {@link #put} keeps the rule of {@link IndexedSession#replaces}; reads are lock-free and see each
 * completed write; writers are serialized by the owner.
 */
final class SessionRecords {

    private final Map<String, Map<String, IndexedSession>> byUser = new ConcurrentHashMap<>();

    /** @return whether the record was stored (it replaces the held one) */
    boolean put(IndexedSession record) {
        Map<String, IndexedSession> sessions = byUser.computeIfAbsent(record.key().userId(),
                k -> new ConcurrentHashMap<>());
        IndexedSession held = sessions.get(record.key().sessionId());
        if (!record.replaces(held)) {
            return false;
        }
        sessions.put(record.key().sessionId(), record);
        return true;
    }

    Optional<IndexedSession> get(SessionKey key) {
        Map<String, IndexedSession> sessions = byUser.get(key.userId());
        return sessions == null ? Optional.empty() : Optional.ofNullable(sessions.get(key.sessionId()));
    }

    List<IndexedSession> ofUser(String userId) {
        Map<String, IndexedSession> sessions = byUser.get(userId);
        return sessions == null ? List.of() : List.copyOf(sessions.values());
    }

    List<IndexedSession> all() {
        List<IndexedSession> out = new ArrayList<>();
        byUser.values().forEach(sessions -> out.addAll(sessions.values()));
        return out;
    }

    void removeSession(SessionKey key) {
        Map<String, IndexedSession> sessions = byUser.get(key.userId());
        if (sessions != null) {
            sessions.remove(key.sessionId());
            if (sessions.isEmpty()) {
                byUser.remove(key.userId(), sessions);
            }
        }
    }

    void removeUser(String userId) {
        byUser.remove(userId);
    }

    void clear() {
        byUser.clear();
    }
}
