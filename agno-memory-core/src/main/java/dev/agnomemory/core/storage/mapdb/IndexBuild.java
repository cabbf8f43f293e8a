package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.UserMemory;
import java.io.Closeable;
import java.nio.file.Path;
import org.mapdb.volume.VolumeFactory;

/**
 * A new index file built from journal records in one pass (a rebuild, a compaction, a migration): sessions and runs
 * are collected in memory as places in the journal (no text) and loaded in key order at the end; memories,
 * embeddings and histories go into the file as they come, so a store's memories and their vectors are never all in
 * the heap at once.
 */
final class IndexBuild implements Closeable {

    private final Overlay sessions = new Overlay(false);
    private final RecordTarget sessionTarget = sessions;
    private final Index.Builder builder;
    private final Index.MemoryWriter memories;
    private final RecordTarget target;
    private long records;
    private boolean removedContent;

    IndexBuild(Path file, Path storeFile, VolumeFactory volumes) {
        this.builder = Index.build(file, storeFile, volumes);
        this.memories = builder.memoryWriter();
        this.target = new Target();
    }

    /** Applies one record found at {@code where}. */
    void apply(JournalRecord record, RecordRef where) {
        record.apply(target, where);
        records++;
        removedContent |= record.removesContent();
    }

    /** Whether a record removed content: the journal may hold content a purge has yet to drop. */
    boolean removedContent() {
        return removedContent;
    }

    long records() {
        return records;
    }

    long nextSid() {
        return sessions.maxSid() + 1;
    }

    long nextVersion() {
        return sessions.maxVersion() + 1;
    }

    /** Loads the sessions and runs, writes the meta, commits and closes the file. */
    void finish(IndexMeta meta) {
        builder.finish(sessions, meta);
    }

    /** Deletes the file unless it was finished. */
    @Override
    public void close() {
        builder.close();
    }

    /** Sessions and runs into the layer in memory, memories straight into the new file. */
    private final class Target extends ForwardingTarget {
        Target() {
            super(sessionTarget);
        }

        @Override
        public SessionHead head(long sid) {
            return sessionTarget.head(sid);
        }

        @Override
        public SessionDetails details(long sid) {
            return sessionTarget.details(sid);
        }

        @Override
        public RunEntry run(long sid, long sequence) {
            return sessionTarget.run(sid, sequence);
        }

        @Override
        public void putMemory(UserMemory memory) {
            memories.putMemory(memory);
        }

        @Override
        public void removeMemory(String userId, String memoryId) {
            memories.removeMemory(userId, memoryId);
        }

        @Override
        public void putEmbedding(MemoryEmbedding embedding) {
            memories.putEmbedding(embedding);
        }

        @Override
        public void putHistory(long version, MemoryChange change) {
            memories.putHistory(version, change);
        }

        @Override
        public void wipeMemories(String userId) {
            memories.wipeMemories(userId);
        }

        @Override
        public void setMemoriesVersion(String userId, long version) {
            memories.putMemoriesVersion(userId, version);
        }
    }
}
