package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.UserMemory;

/**
 * A {@link RecordTarget} that sends every change on to another one; subclasses answer the reads, and may send some
 * changes elsewhere.
 */
abstract class ForwardingTarget implements RecordTarget {

    private final RecordTarget changes;

    ForwardingTarget(RecordTarget changes) {
        this.changes = changes;
    }

    @Override
    public void putHead(SessionHead head) {
        changes.putHead(head);
    }

    @Override
    public void putDetails(long sid, SessionDetails details) {
        changes.putDetails(sid, details);
    }

    @Override
    public void putRun(long sid, long sequence, RunEntry run) {
        changes.putRun(sid, sequence, run);
    }

    @Override
    public void putRunId(long sid, String runId, long sequence) {
        changes.putRunId(sid, runId, sequence);
    }

    @Override
    public void deleteSession(SessionKey key, long sid) {
        changes.deleteSession(key, sid);
    }

    @Override
    public void putMemory(UserMemory memory) {
        changes.putMemory(memory);
    }

    @Override
    public void removeMemory(String userId, String memoryId) {
        changes.removeMemory(userId, memoryId);
    }

    @Override
    public void putEmbedding(MemoryEmbedding embedding) {
        changes.putEmbedding(embedding);
    }

    @Override
    public void putHistory(long version, MemoryChange change) {
        changes.putHistory(version, change);
    }

    @Override
    public void wipeMemories(String userId) {
        changes.wipeMemories(userId);
    }

    @Override
    public void setMemoriesVersion(String userId, long version) {
        changes.setMemoriesVersion(userId, version);
    }

    @Override
    public void advanceCounters(long sid, long version) {
        changes.advanceCounters(sid, version);
    }
}
