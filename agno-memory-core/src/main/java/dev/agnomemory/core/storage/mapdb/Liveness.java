package dev.agnomemory.core.storage.mapdb;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What compaction's first pass learns about the journal it rewrites: which sessions were deleted, which values were
 * replaced later, which memories were deleted or wiped. Holds ids and record ordinals only, never content, so it
 * stays small however large the store. Records consult it through {@link JournalRecord#note} and
 * {@link JournalRecord#survivor}.
 */
final class Liveness {

    private final Set<Long> deletedSessions = new HashSet<>();
    /** (session number, record code) to the ordinal of the last record of that code for that session. */
    private final Map<SessionValue, Long> lastSessionValue = new HashMap<>();
    private final Map<MemoryId, Long> lastMemoryTouch = new HashMap<>();
    private final Map<MemoryId, Long> lastMemoryDelete = new HashMap<>();
    private final Map<MemoryId, Long> lastEmbedding = new HashMap<>();
    private final Map<String, Long> lastWipe = new HashMap<>();

    private record SessionValue(long sid, int code) {
    }

    private record MemoryId(String userId, String memoryId) {
    }

    void deleteSession(long sid) {
        deletedSessions.add(sid);
    }

    boolean sessionDeleted(long sid) {
        return deletedSessions.contains(sid);
    }

    void sessionValueSet(long sid, int code, long ordinal) {
        lastSessionValue.put(new SessionValue(sid, code), ordinal);
    }

    boolean isLastSessionValue(long sid, int code, long ordinal) {
        return lastSessionValue.getOrDefault(new SessionValue(sid, code), -1L) == ordinal;
    }

    void touchMemory(String userId, String memoryId, long ordinal, boolean delete) {
        MemoryId id = new MemoryId(userId, memoryId);
        lastMemoryTouch.put(id, ordinal);
        if (delete) {
            lastMemoryDelete.put(id, ordinal);
        }
    }

    long lastMemoryTouch(String userId, String memoryId) {
        return lastMemoryTouch.getOrDefault(new MemoryId(userId, memoryId), -1L);
    }

    long lastMemoryDelete(String userId, String memoryId) {
        return lastMemoryDelete.getOrDefault(new MemoryId(userId, memoryId), -1L);
    }

    void saveEmbedding(String userId, String memoryId, long ordinal) {
        lastEmbedding.put(new MemoryId(userId, memoryId), ordinal);
    }

    long lastEmbedding(String userId, String memoryId) {
        return lastEmbedding.getOrDefault(new MemoryId(userId, memoryId), -1L);
    }

    void wipeMemories(String userId, long ordinal) {
        lastWipe.put(userId, ordinal);
    }

    /** Whether all memories of the user were deleted after the record at {@code ordinal}. */
    boolean wipedAfter(String userId, long ordinal) {
        return lastWipe.getOrDefault(userId, -1L) > ordinal;
    }
}
