package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.mapdb.JournalRecord.CheckpointBegin;
import dev.agnomemory.core.storage.mapdb.JournalRecord.CheckpointEnd;
import dev.agnomemory.core.storage.mapdb.JournalRecord.EmbeddingSaved;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemoryDeleted;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemorySaved;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MessageAppended;
import dev.agnomemory.core.storage.mapdb.JournalRecord.CountersRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemoriesVersionRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemoryHistoryRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemoryRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.RunFinished;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionRenamed;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionStateSet;
import dev.agnomemory.core.storage.mapdb.JournalRecord.RunRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.RunStarted;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionCreated;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionDataSet;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionDeleted;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SummarySaved;
import dev.agnomemory.core.storage.mapdb.JournalRecord.UserMemoriesDeleted;
import java.io.Closeable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.function.BiConsumer;
import org.mapdb.BTreeMap;
import org.mapdb.CC;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;
import org.mapdb.StoreWAL;
import org.mapdb.serializer.SerializerArrayTuple;
import org.mapdb.volume.VolumeFactory;

/**
 * The queryable MapDB index of a store, derived from the journal. Not thread-safe on its own: the storage
 * serializes writers and guards readers with a fair read/write lock (MapDB 3.1's newest-first iteration races
 * with writers, and its commit starves under concurrent reads).
 *
 * <p>Maps (every value is bytes written by {@link Codec}):
 * <ul>
 *   <li>{@code sessions}: (userId, sessionId) → session state; a user's sessions are one key range;</li>
 *   <li>{@code runs}: (session number, run sequence) → run header;</li>
 *   <li>{@code runIds}: (session number, run id) → run sequence;</li>
 *   <li>{@code messages}: (session number, run sequence, index) → message; a run, and a session, is one key
 *       range, so appends touch only the end of the tree and reads of the last runs are range scans;</li>
 *   <li>{@code memories}: (userId, memoryId) → memory;</li>
 *   <li>{@code embeddings}: (userId, memoryId) → the memory's embedding;</li>
 *   <li>{@code memoryHistory}: (userId, memoryId, number) → one change of the memory, in order;</li>
 *   <li>{@code memoryVersions}: userId → the version of the user's memories;</li>
 *   <li>{@code meta}: format version, journal generation, last applied journal record, next session number, next
 *       version. Versions come from one counter for the whole store, so a version is never handed out twice.</li>
 * </ul>
 */
final class Index implements Closeable {

    /** 2: session names, state, versions and metrics; run outcomes; memory agents and histories. */
    static final long FORMAT_VERSION = 2;

    private static final String META_FORMAT = "format";
    private static final String META_GENERATION = "generation";
    private static final String META_APPLIED = "appliedLsn";
    private static final String META_NEXT_SID = "nextSid";
    private static final String META_NEXT_VERSION = "nextVersion";

    private final DB db;
    private final BTreeMap<String, Long> meta;
    private final BTreeMap<Object[], byte[]> sessions;
    private final BTreeMap<Object[], byte[]> runs;
    private final BTreeMap<Object[], Long> runIds;
    private final BTreeMap<Object[], byte[]> messages;
    private final BTreeMap<Object[], byte[]> memories;
    private final BTreeMap<Object[], byte[]> embeddings;
    private final BTreeMap<Object[], byte[]> memoryHistory;
    private final BTreeMap<String, Long> memoryVersions;

    private Index(DB db) {
        this.db = db;
        this.meta = db.treeMap("meta", Serializer.STRING, Serializer.LONG).createOrOpen();
        this.sessions = db.treeMap("sessions")
                .keySerializer(new SerializerArrayTuple(Serializer.STRING, Serializer.STRING))
                .valueSerializer(Serializer.BYTE_ARRAY).createOrOpen();
        this.runs = db.treeMap("runs")
                .keySerializer(new SerializerArrayTuple(Serializer.LONG, Serializer.LONG))
                .valueSerializer(Serializer.BYTE_ARRAY).createOrOpen();
        this.runIds = db.treeMap("runIds")
                .keySerializer(new SerializerArrayTuple(Serializer.LONG, Serializer.STRING))
                .valueSerializer(Serializer.LONG).createOrOpen();
        this.messages = db.treeMap("messages")
                .keySerializer(new SerializerArrayTuple(Serializer.LONG, Serializer.LONG, Serializer.INTEGER))
                .valueSerializer(Serializer.BYTE_ARRAY).valuesOutsideNodesEnable().createOrOpen();
        this.memories = db.treeMap("memories")
                .keySerializer(new SerializerArrayTuple(Serializer.STRING, Serializer.STRING))
                .valueSerializer(Serializer.BYTE_ARRAY).valuesOutsideNodesEnable().createOrOpen();
        this.embeddings = db.treeMap("embeddings")
                .keySerializer(new SerializerArrayTuple(Serializer.STRING, Serializer.STRING))
                .valueSerializer(Serializer.BYTE_ARRAY).valuesOutsideNodesEnable().createOrOpen();
        this.memoryHistory = db.treeMap("memoryHistory")
                .keySerializer(new SerializerArrayTuple(Serializer.STRING, Serializer.STRING, Serializer.LONG))
                .valueSerializer(Serializer.BYTE_ARRAY).valuesOutsideNodesEnable().createOrOpen();
        this.memoryVersions = db.treeMap("memoryVersions", Serializer.STRING, Serializer.LONG).createOrOpen();
    }

    /**
     * Opens (or creates) a file index with transactions: changes reach the file only at {@link #commit()}.
     * Commit right after creating the maps: MapDB breaks a map whose creation is rolled back (issue #934).
     */
    static Index openFile(Path file, VolumeFactory volumes) {
        boolean exists = volumes.exists(file.toString());
        StoreWAL store = StoreWAL.make(file.toString(), volumes, 0L, true, CC.STORE_DIRECT_CONC_SHIFT,
                CC.PAGE_SIZE, 0L, false, false, false, true, false);
        DB db;
        try {
            db = new DB(store, exists, true, Index.class.getClassLoader(), 0);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        try {
            Index index = new Index(db);
            if (!exists) {
                index.meta.put(META_FORMAT, FORMAT_VERSION);
                db.commit();
            }
            return index;
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    /** An index that lives only in memory (the storage's in-memory mode). */
    static Index inMemory() {
        Index index = new Index(DBMaker.memoryDB().make());
        index.meta.put(META_FORMAT, FORMAT_VERSION);
        return index;
    }

    // ---- meta ----

    long formatVersion() {
        return meta.getOrDefault(META_FORMAT, -1L);
    }

    long generation() {
        return meta.getOrDefault(META_GENERATION, -1L);
    }

    long appliedLsn() {
        return meta.getOrDefault(META_APPLIED, -1L);
    }

    long nextSid() {
        return meta.getOrDefault(META_NEXT_SID, 1L);
    }

    long nextVersion() {
        return meta.getOrDefault(META_NEXT_VERSION, 1L);
    }

    /** Hands out the next version of the store-wide counter. Replaying the same records hands out the same ones. */
    private long takeVersion() {
        long v = nextVersion();
        meta.put(META_NEXT_VERSION, v + 1);
        return v;
    }

    void setCheckpoint(long generation, long appliedLsn) {
        meta.put(META_GENERATION, generation);
        meta.put(META_APPLIED, appliedLsn);
    }

    void commit() {
        db.commit();
    }

    @Override
    public void close() {
        db.close();
    }

    /**
     * Touches every map once, so a store damaged where MapDB keeps its structure fails here, at open, and not
     * later in a user's call.
     */
    void verifyReadable() {
        meta.size();
        for (BTreeMap<?, ?> map : List.of(sessions, runs, runIds, messages, memories, embeddings, memoryHistory,
                memoryVersions)) {
            if (!map.isEmpty()) {
                map.firstKey();
                map.lastKey();
            }
        }
    }

    // ---- reads ----

    SessionState session(SessionKey key) {
        byte[] bytes = sessions.get(sessionKey(key));
        return bytes == null ? null : Codec.decodeSessionState(bytes);
    }

    /** Visits sessions of one user, or all when {@code userId} is null. */
    void forEachSession(String userId, BiConsumer<SessionKey, SessionState> visitor) {
        NavigableMap<Object[], byte[]> range = userId == null ? sessions : sessions.prefixSubMap(new Object[] {userId});
        for (Map.Entry<Object[], byte[]> e : range.entrySet()) {
            Object[] k = e.getKey();
            visitor.accept(new SessionKey((String) k[0], (String) k[1]), Codec.decodeSessionState(e.getValue()));
        }
    }

    RunState run(long sid, long sequence) {
        byte[] bytes = runs.get(new Object[] {sid, sequence});
        return bytes == null ? null : Codec.decodeRunState(bytes);
    }

    Long runSequence(long sid, String runId) {
        return runIds.get(new Object[] {sid, runId});
    }

    /** Run headers with sequences in [from, to), ascending. */
    List<Map.Entry<Long, RunState>> runs(long sid, long from, long to) {
        List<Map.Entry<Long, RunState>> out = new ArrayList<>();
        if (from >= to) {
            return out;
        }
        for (Map.Entry<Object[], byte[]> e : runs.subMap(new Object[] {sid, from}, true, new Object[] {sid, to}, false)
                .entrySet()) {
            out.add(Map.entry((Long) e.getKey()[1], Codec.decodeRunState(e.getValue())));
        }
        return out;
    }

    /** The messages of one run, in order. */
    List<Message> messages(long sid, long sequence) {
        List<Message> out = new ArrayList<>();
        for (byte[] bytes : messages.prefixSubMap(new Object[] {sid, sequence}).values()) {
            out.add(Codec.decodeMessage(bytes));
        }
        return out;
    }

    /** The messages from one position to another, both included, in order. */
    List<Message> messagesBetween(long sid, MessagePosition from, MessagePosition to) {
        List<Message> out = new ArrayList<>();
        for (byte[] bytes : messages.subMap(new Object[] {sid, from.runSequence(), from.index()}, true,
                new Object[] {sid, to.runSequence(), to.index()}, true).values()) {
            out.add(Codec.decodeMessage(bytes));
        }
        return out;
    }

    UserMemory memory(String userId, String memoryId) {
        byte[] bytes = memories.get(new Object[] {userId, memoryId});
        return bytes == null ? null : Codec.decodeMemory(bytes);
    }

    /** Memories of one user, or all when {@code userId} is null. */
    List<UserMemory> memories(String userId) {
        NavigableMap<Object[], byte[]> range = userId == null ? memories : memories.prefixSubMap(new Object[] {userId});
        List<UserMemory> out = new ArrayList<>();
        for (byte[] bytes : range.values()) {
            out.add(Codec.decodeMemory(bytes));
        }
        return out;
    }

    /** Embeddings of one user's memories, or of everyone's when {@code userId} is null. */
    List<MemoryEmbedding> embeddings(String userId) {
        NavigableMap<Object[], byte[]> range = userId == null ? embeddings
                : embeddings.prefixSubMap(new Object[] {userId});
        List<MemoryEmbedding> out = new ArrayList<>();
        for (byte[] bytes : range.values()) {
            out.add(Codec.decodeEmbedding(bytes));
        }
        return out;
    }

    long memoriesVersion(String userId) {
        return memoryVersions.getOrDefault(userId, 0L);
    }

    /** Visits the memory version of every user who ever had memories. */
    void forEachMemoriesVersion(BiConsumer<String, Long> visitor) {
        memoryVersions.forEach(visitor);
    }

    /** Whether the user has memories, or a history of memories that are gone. */
    boolean hasMemoryData(String userId) {
        Object[] prefix = {userId};
        return !memories.prefixSubMap(prefix).isEmpty() || !memoryHistory.prefixSubMap(prefix).isEmpty();
    }

    /** The history of one memory, in order. */
    List<MemoryChange> memoryHistory(String userId, String memoryId) {
        List<MemoryChange> out = new ArrayList<>();
        for (byte[] bytes : memoryHistory.prefixSubMap(new Object[] {userId, memoryId}).values()) {
            out.add(Codec.decodeMemoryChange(bytes));
        }
        return out;
    }

    /** Visits every history entry of every memory, with its number. */
    void forEachMemoryChange(BiConsumer<Long, MemoryChange> visitor) {
        for (Map.Entry<Object[], byte[]> e : memoryHistory.entrySet()) {
            visitor.accept((Long) e.getKey()[2], Codec.decodeMemoryChange(e.getValue()));
        }
    }

    // ---- writes ----

    /** Applies one journal record. Records were validated before they were journaled, so this only stores. */
    void apply(JournalRecord record) {
        if (record instanceof MessageAppended r) {
            SessionState s = required(r.key());
            messages.put(new Object[] {s.sid(), r.runSequence(), r.index()}, Codec.encodeMessage(r.message()));
            putSession(r.key(), s.withMessageAppended(r.at(), takeVersion()));
        } else if (record instanceof RunStarted r) {
            SessionState s = required(r.key());
            runs.put(new Object[] {s.sid(), r.runSequence()}, Codec.encodeRunState(RunState.started(r.runId(),
                    r.at())));
            runIds.put(new Object[] {s.sid(), r.runId()}, r.runSequence());
            putSession(r.key(), s.withRunStarted(r.runId(), r.at(), takeVersion()));
        } else if (record instanceof RunFinished r) {
            SessionState s = required(r.key());
            Object[] runKey = {s.sid(), r.runSequence()};
            runs.put(runKey, Codec.encodeRunState(Codec.decodeRunState(runs.get(runKey)).finished(r.outcome(),
                    r.at())));
            putSession(r.key(), s.withRunFinished(r.outcome().metrics(), r.at(), takeVersion()));
        } else if (record instanceof SessionCreated r) {
            putSession(r.key(), SessionState.created(r.sid(), r.agentId(), r.at(), takeVersion()));
            advanceSid(r.sid());
        } else if (record instanceof SessionDataSet r) {
            putSession(r.key(), required(r.key()).withData(r.data(), r.at(), takeVersion()));
        } else if (record instanceof SessionStateSet r) {
            putSession(r.key(), required(r.key()).withState(r.state(), r.at(), takeVersion()));
        } else if (record instanceof SessionRenamed r) {
            putSession(r.key(), required(r.key()).withName(r.name(), r.at(), takeVersion()));
        } else if (record instanceof SummarySaved r) {
            putSession(r.key(), required(r.key()).withSummary(r.summary(), r.at(), takeVersion()));
        } else if (record instanceof SessionDeleted r) {
            SessionState s = session(r.key());
            if (s != null) {
                Object[] prefix = {s.sid()};
                removeAll(messages, prefix);
                removeAll(runs, prefix);
                removeAll(runIds, prefix);
                sessions.remove(sessionKey(r.key()));
            }
        } else if (record instanceof MemorySaved r) {
            UserMemory m = r.memory();
            memories.put(new Object[] {m.userId(), m.memoryId()}, Codec.encodeMemory(m));
            long version = takeVersion();
            memoryVersions.put(m.userId(), version);
            if (r.change() != null) {
                memoryHistory.put(new Object[] {m.userId(), m.memoryId(), version},
                        Codec.encodeMemoryChange(r.change()));
            }
        } else if (record instanceof EmbeddingSaved r) {
            embeddings.put(new Object[] {r.embedding().userId(), r.embedding().memoryId()},
                    Codec.encodeEmbedding(r.embedding()));
        } else if (record instanceof MemoryDeleted r) {
            memories.remove(new Object[] {r.userId(), r.memoryId()});
            embeddings.remove(new Object[] {r.userId(), r.memoryId()});
            long version = takeVersion();
            memoryVersions.put(r.userId(), version);
            if (r.change() != null) {
                memoryHistory.put(new Object[] {r.userId(), r.memoryId(), version},
                        Codec.encodeMemoryChange(r.change()));
            }
        } else if (record instanceof UserMemoriesDeleted r) {
            removeAll(memories, new Object[] {r.userId()});
            removeAll(embeddings, new Object[] {r.userId()});
            removeAll(memoryHistory, new Object[] {r.userId()});
            memoryVersions.put(r.userId(), takeVersion());
        } else if (record instanceof SessionRestored r) {
            SessionState state = r.state();
            if (state.version() == 0) {
                // written by a format that had no versions
                state = state.withData(state.data(), state.updatedAt(), takeVersion());
            }
            putSession(r.key(), state);
            advanceSid(state.sid());
            advanceVersion(state.version());
        } else if (record instanceof RunRestored r) {
            long sid = required(r.key()).sid();
            runs.put(new Object[] {sid, r.runSequence()}, Codec.encodeRunState(r.run()));
            runIds.put(new Object[] {sid, r.run().runId()}, r.runSequence());
            int i = 0;
            for (Message m : r.messages()) {
                messages.put(new Object[] {sid, r.runSequence(), i++}, Codec.encodeMessage(m));
            }
        } else if (record instanceof MemoryRestored r) {
            UserMemory m = r.memory();
            memories.put(new Object[] {m.userId(), m.memoryId()}, Codec.encodeMemory(m));
        } else if (record instanceof MemoriesVersionRestored r) {
            memoryVersions.put(r.userId(), r.version());
            advanceVersion(r.version());
        } else if (record instanceof MemoryHistoryRestored r) {
            MemoryChange c = r.change();
            memoryHistory.put(new Object[] {c.userId(), c.memoryId(), r.sequence()}, Codec.encodeMemoryChange(c));
            advanceVersion(r.sequence());
        } else if (record instanceof CountersRestored r) {
            advanceSid(r.nextSid() - 1);
            advanceVersion(r.nextVersion() - 1);
        } else if (record instanceof CheckpointBegin || record instanceof CheckpointEnd) {
            // markers of the journal, nothing to index
        } else {
            throw new IllegalArgumentException("unknown record " + record);
        }
    }

    private SessionState required(SessionKey key) {
        SessionState s = session(key);
        if (s == null) {
            throw new IllegalStateException("journal refers to unknown session " + key);
        }
        return s;
    }

    private void putSession(SessionKey key, SessionState state) {
        sessions.put(sessionKey(key), Codec.encodeSessionState(state));
    }

    private void advanceSid(long sid) {
        if (sid >= nextSid()) {
            meta.put(META_NEXT_SID, sid + 1);
        }
    }

    private void advanceVersion(long version) {
        if (version >= nextVersion()) {
            meta.put(META_NEXT_VERSION, version + 1);
        }
    }

    private static <V> int removeAll(BTreeMap<Object[], V> map, Object[] prefix) {
        List<Object[]> keys = new ArrayList<>(map.prefixSubMap(prefix).keySet());
        for (Object[] k : keys) {
            map.remove(k);
        }
        return keys.size();
    }

    private static Object[] sessionKey(SessionKey key) {
        return new Object[] {key.userId(), key.sessionId()};
    }
}
