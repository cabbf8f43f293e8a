package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.SessionKey;
import java.io.Closeable;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.mapdb.volume.VolumeFactory;

/**
 * A new index file built from journal records in one pass (a rebuild, a compaction, a migration): sessions and runs
 * are collected in memory as places in the journal (no text) and loaded in key order at the end; memories,
 * embeddings and histories go into the file as they come, so a store's memories and their vectors are never all in
 * the heap at once.
 *
 * <p>Runs are held encoded, one byte array each in the form the index stores them, except the few touched last:
 * decoded, a run is some twenty small objects, and a compaction running beside a live application would leave its
 * garbage collector that many long-lived objects per run to copy, in pauses every thread of the application waits
 * for.
 */
final class IndexBuild implements Closeable {

    /** Decoded runs kept at hand: a run's records mostly follow each other, even with many sessions written at once. */
    private static final int DECODED_RUNS = 256;

    private final Overlay sessions = new Overlay(false);
    /** Session number to its runs by sequence, encoded; the ones in {@link #decoded} may be newer. */
    private final Map<Long, NavigableMap<Long, byte[]>> runs = new HashMap<>();
    private final LinkedHashMap<RunKey, RunEntry> decoded = new LinkedHashMap<>(DECODED_RUNS * 2, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<RunKey, RunEntry> eldest) {
            if (size() <= DECODED_RUNS) {
                return false;
            }
            store(eldest.getKey(), eldest.getValue());
            return true;
        }
    };
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
        decoded.forEach(this::store);
        decoded.clear();
        builder.finish(sessions, runs, meta);
    }

    private record RunKey(long sid, long sequence) {
    }

    private void store(RunKey key, RunEntry run) {
        BinaryOut out = new BinaryOut(64 + 16 * run.messages().size());
        Values.writeRunEntry(out, run);
        runs.computeIfAbsent(key.sid(), s -> new TreeMap<>()).put(key.sequence(), out.toByteArray());
    }

    private RunEntry load(RunKey key) {
        RunEntry run = decoded.get(key);
        if (run == null) {
            NavigableMap<Long, byte[]> session = runs.get(key.sid());
            byte[] bytes = session == null ? null : session.get(key.sequence());
            if (bytes != null) {
                run = Values.readRunEntry(new BinaryIn(bytes, 0, bytes.length));
            }
        }
        return run;
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
            return load(new RunKey(sid, sequence));
        }

        @Override
        public void putRun(long sid, long sequence, RunEntry run) {
            decoded.put(new RunKey(sid, sequence), run);
        }

        @Override
        public void deleteSession(SessionKey key, long sid) {
            sessionTarget.deleteSession(key, sid);
            runs.remove(sid);
            decoded.keySet().removeIf(k -> k.sid() == sid);
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
