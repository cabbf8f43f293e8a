package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.StoreLockedException;
import dev.agnomemory.core.storage.mapdb.BinaryIn.MalformedDataException;
import java.io.Closeable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.zip.CRC32C;
import kotlin.Pair;
import org.mapdb.BTreeMap;
import org.mapdb.CC;
import org.mapdb.DB;
import org.mapdb.DBException;
import org.mapdb.Serializer;
import org.mapdb.StoreWAL;
import org.mapdb.serializer.GroupSerializer;
import org.mapdb.serializer.SerializerArrayTuple;
import org.mapdb.volume.VolumeFactory;

/**
 * The queryable MapDB index of a store, derived from the journal. Holds no message text: a run keeps, per message,
 * where in the journal the message is ({@link Pointer}), so the text is on disk once.
 *
 * <p>Every value is bytes written by {@link Values}, followed by a CRC32C of the map, the key and the value: a value
 * that was damaged on disk, or that sits under the wrong key, fails the check and raises
 * {@link IndexDamagedException} instead of being returned. Any other failure of MapDB while reading (it throws
 * assorted runtime exceptions on damaged files) is an {@link IndexDamagedException} too. The store answers either by
 * rebuilding the index from the journal.
 *
 * <p>Maps: {@code keys} (user id, session id) → session number; {@code heads} number → {@link SessionHead};
 * {@code details} number → {@link SessionDetails}; {@code runs} (number, sequence) → {@link RunEntry};
 * {@code runIds} (number, run id) → sequence; {@code memories} and {@code embeddings} (user id, memory id);
 * {@code history} (user id, memory id, version) → change; {@code memoryVersions} user id → version;
 * {@code meta} → {@link IndexMeta}.
 *
 * <p>Not thread-safe for writes; the store serializes them and guards reads with a fair read/write lock (MapDB 3.1's
 * commit starves under concurrent reads).
 */
final class Index implements Closeable {

    /** 3: journal format 2, pointers instead of message text, checksummed values, store identity. */
    static final long FORMAT_VERSION = 3;

    /** A value failed its checksum, or MapDB failed reading: the index cannot be trusted. */
    static final class IndexDamagedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        IndexDamagedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final int KEYS = 1;
    private static final int HEADS = 2;
    private static final int DETAILS = 3;
    private static final int RUNS = 4;
    private static final int RUN_IDS = 5;
    private static final int MEMORIES = 6;
    private static final int EMBEDDINGS = 7;
    private static final int HISTORY = 8;
    private static final int MEMORY_VERSIONS = 9;
    private static final int META = 10;
    private static final String META_KEY = "meta";

    private final Path file;
    private final DB db;
    private final BTreeMap<String, byte[]> meta;
    private final BTreeMap<Object[], byte[]> keys;
    private final BTreeMap<Long, byte[]> heads;
    private final BTreeMap<Long, byte[]> details;
    private final BTreeMap<Object[], byte[]> runs;
    private final BTreeMap<Object[], byte[]> runIds;
    private final BTreeMap<Object[], byte[]> memories;
    private final BTreeMap<Object[], byte[]> embeddings;
    private final BTreeMap<Object[], byte[]> history;
    private final BTreeMap<String, byte[]> memoryVersions;
    /** Built by the first checkpoint after the open ({@link Maintenance}); null until then. */
    private volatile RunIdFilter runIdFilter;

    private static final GroupSerializer<Object[]> STRING_STRING = new SerializerArrayTuple(Serializer.STRING,
            Serializer.STRING);
    private static final GroupSerializer<Object[]> LONG_LONG = new SerializerArrayTuple(Serializer.LONG,
            Serializer.LONG);
    private static final GroupSerializer<Object[]> LONG_STRING = new SerializerArrayTuple(Serializer.LONG,
            Serializer.STRING);
    private static final GroupSerializer<Object[]> STRING_STRING_LONG = new SerializerArrayTuple(Serializer.STRING,
            Serializer.STRING, Serializer.LONG);

    private Index(Path file, DB db) {
        this.file = file;
        this.db = db;
        this.meta = map(db, "meta", Serializer.STRING, false, null);
        this.keys = map(db, "keys", STRING_STRING, false, null);
        this.heads = map(db, "heads", Serializer.LONG, false, null);
        this.details = map(db, "details", Serializer.LONG, true, null);
        this.runs = map(db, "runs", LONG_LONG, false, null);
        this.runIds = map(db, "runIds", LONG_STRING, false, null);
        this.memories = map(db, "memories", STRING_STRING, true, null);
        this.embeddings = map(db, "embeddings", STRING_STRING, true, null);
        this.history = map(db, "history", STRING_STRING_LONG, true, null);
        this.memoryVersions = map(db, "memoryVersions", Serializer.STRING, false, null);
    }

    /** Opens the named map, creating it empty, or from {@code sorted} entries in one pass when given. */
    private static <K> BTreeMap<K, byte[]> map(DB db, String name, GroupSerializer<K> keySerializer,
            boolean valuesOutside, List<Pair<K, byte[]>> sorted) {
        DB.TreeMapMaker<K, byte[]> maker = db.treeMap(name).keySerializer(keySerializer)
                .valueSerializer(Serializer.BYTE_ARRAY);
        if (valuesOutside) {
            maker = maker.valuesOutsideNodesEnable();
        }
        if (sorted == null) {
            return maker.createOrOpen();
        }
        DB.TreeMapSink<K, byte[]> sink = maker.createFromSink();
        for (Pair<K, byte[]> p : sorted) {
            sink.put(p);
        }
        return sink.create();
    }

    /**
     * Opens (or creates, empty) a file index with transactions: changes reach the file only at {@link #commit()}.
     * Commits right after creating the maps: MapDB breaks a map whose creation is rolled back (issue #934).
     *
     * @param storeFile the store's file, for the message when another process holds the index
     * @throws StoreLockedException when another process has the file open (MapDB's own file lock)
     * @throws IndexDamagedException when MapDB cannot open it
     */
    static Index openFile(Path file, Path storeFile, VolumeFactory volumes) {
        boolean exists = volumes.exists(file.toString());
        DB db = openDb(file, storeFile, volumes);
        try {
            Index index = new Index(file, db);
            if (!exists) {
                db.commit();
            }
            return index;
        } catch (RuntimeException e) {
            db.close();
            throw openFailure("MapDB cannot open the maps of", file, e);
        }
    }

    private static DB openDb(Path file, Path storeFile, VolumeFactory volumes) {
        boolean exists = volumes.exists(file.toString());
        StoreWAL store;
        try {
            store = StoreWAL.make(file.toString(), volumes, 0L, true, CC.STORE_DIRECT_CONC_SHIFT, CC.PAGE_SIZE, 0L,
                    false, false, false, true, false);
        } catch (DBException.FileLocked e) {
            throw new StoreLockedException(storeFile, e);
        } catch (RuntimeException e) {
            throw openFailure("MapDB cannot open", file, e);
        }
        try {
            return new DB(new WrittenNodes(store), exists, true, Index.class.getClassLoader(), 0);
        } catch (RuntimeException e) {
            store.close();
            throw openFailure("MapDB cannot open", file, e);
        }
    }

    /**
     * Starts a new index file: memories are written into it as they come (they are few and may be large), sessions
     * and runs are loaded in key order at the end ({@link Builder#finish}), much faster than one put at a time.
     */
    static Builder build(Path file, Path storeFile, VolumeFactory volumes) {
        try {
            StoreFiles.deleteMapDbFiles(file);
        } catch (java.io.IOException e) {
            throw IoFailures.storage("Cannot remove the old", file, e);
        }
        ClosingVolumes tracked = new ClosingVolumes(volumes);
        try {
            return new Builder(file, openDb(file, storeFile, tracked));
        } catch (RuntimeException e) {
            // nothing of a new file is worth keeping; on a full disk it would hold the space
            tracked.closeAll(e);
            try {
                StoreFiles.deleteMapDbFiles(file);
            } catch (java.io.IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** A new index file being filled; see {@link #build}. */
    static final class Builder implements Closeable {
        private final Path file;
        private final DB db;
        final BTreeMap<Object[], byte[]> memories;
        final BTreeMap<Object[], byte[]> embeddings;
        final BTreeMap<Object[], byte[]> history;
        final BTreeMap<String, byte[]> memoryVersions;
        private boolean finished;

        private Builder(Path file, DB db) {
            this.file = file;
            this.db = db;
            this.memories = map(db, "memories", STRING_STRING, true, null);
            this.embeddings = map(db, "embeddings", STRING_STRING, true, null);
            this.history = map(db, "history", STRING_STRING_LONG, true, null);
            this.memoryVersions = map(db, "memoryVersions", Serializer.STRING, false, null);
        }

        /** A target for the memory records of the journal, written straight into the new file. */
        MemoryWriter memoryWriter() {
            return new MemoryWriter(memories, embeddings, history, memoryVersions);
        }

        /**
         * Loads the sessions and runs of {@code sessions} (a complete store in memory, its memories aside) and the
         * meta, commits, and closes the file.
         */
        /**
         * @param sessions the sessions, with their details and run ids
         * @param runs each session's runs by sequence, encoded as {@link Values#writeRunEntry} writes them
         */
        void finish(Overlay sessions, Map<Long, NavigableMap<Long, byte[]>> runs, IndexMeta m) {
            Content c = Content.of(sessions, runs, m);
            map(db, "meta", Serializer.STRING, false, c.meta);
            map(db, "keys", STRING_STRING, false, c.keys);
            map(db, "heads", Serializer.LONG, false, c.heads);
            map(db, "details", Serializer.LONG, true, c.details);
            map(db, "runs", LONG_LONG, false, c.runs);
            map(db, "runIds", LONG_STRING, false, c.runIds);
            db.commit();
            finished = true;
            db.close();
            try {
                StoreFiles.deleteWalFiles(file);
            } catch (java.io.IOException e) {
                throw IoFailures.storage("Cannot remove MapDB log files of", file, e);
            }
        }

        /** Closes the file; one not {@link #finish finished} is deleted. */
        @Override
        public void close() {
            if (finished) {
                return;
            }
            try {
                db.close();
            } catch (RuntimeException e) {
                // being discarded anyway
            }
            try {
                StoreFiles.deleteMapDbFiles(file);
            } catch (java.io.IOException e) {
                // a leftover, deleted at the next open
            }
        }
    }

    /** Writes memory records into an index's memory maps, one put each. */
    static final class MemoryWriter {
        private final BTreeMap<Object[], byte[]> memories;
        private final BTreeMap<Object[], byte[]> embeddings;
        private final BTreeMap<Object[], byte[]> history;
        private final BTreeMap<String, byte[]> memoryVersions;

        private MemoryWriter(BTreeMap<Object[], byte[]> memories, BTreeMap<Object[], byte[]> embeddings,
                BTreeMap<Object[], byte[]> history, BTreeMap<String, byte[]> memoryVersions) {
            this.memories = memories;
            this.embeddings = embeddings;
            this.history = history;
            this.memoryVersions = memoryVersions;
        }

        void putMemory(UserMemory m) {
            Object[] k = {m.userId(), m.memoryId()};
            memories.put(k, seal(MEMORIES, k, encode(o -> Values.writeMemory(o, m))));
        }

        void removeMemory(String userId, String memoryId) {
            Object[] k = {userId, memoryId};
            memories.remove(k);
            embeddings.remove(k);
        }

        void putEmbedding(MemoryEmbedding e) {
            Object[] k = {e.userId(), e.memoryId()};
            embeddings.put(k, seal(EMBEDDINGS, k, encode(o -> Values.writeEmbedding(o, e))));
        }

        void removeEmbedding(String userId, String memoryId) {
            embeddings.remove(new Object[] {userId, memoryId});
        }

        void putHistory(long version, MemoryChange c) {
            Object[] k = {c.userId(), c.memoryId(), version};
            history.put(k, seal(HISTORY, k, encode(o -> Values.writeMemoryChange(o, c))));
        }

        void wipeMemories(String userId) {
            Object[] prefix = {userId};
            for (BTreeMap<Object[], byte[]> map : List.of(memories, embeddings, history)) {
                for (Object[] k : new ArrayList<>(map.prefixSubMap(prefix).keySet())) {
                    map.remove(k);
                }
            }
        }

        void putMemoriesVersion(String userId, long version) {
            memoryVersions.put(userId, seal(MEMORY_VERSIONS, userId, encode(o -> o.writeVarLong(version))));
        }
    }

    /** A full disk is not damage: it is reported as such, naming the file, and never a reason to rebuild. */
    private static RuntimeException openFailure(String what, Path file, RuntimeException e) {
        if (IoFailures.isDiskFull(e)) {
            return IoFailures.storage("Cannot open the index", file, e);
        }
        return damaged(what + " " + file, e);
    }

    private static IndexDamagedException damaged(String what, Throwable e) {
        return e instanceof IndexDamagedException d ? d : new IndexDamagedException(what + " (" + e + ")", e);
    }

    Path file() {
        return file;
    }

    // ---- checksummed values ----

    private static byte[] seal(int map, Object key, byte[] value) {
        byte[] out = java.util.Arrays.copyOf(value, value.length + 4);
        Frame.putInt(out, value.length, checksum(map, key, value, value.length));
        return out;
    }

    private static int checksum(int map, Object key, byte[] value, int length) {
        BinaryOut k = new BinaryOut(64);
        k.writeByte(map);
        if (key instanceof Object[] parts) {
            for (Object p : parts) {
                writeKeyPart(k, p);
            }
        } else {
            writeKeyPart(k, key);
        }
        CRC32C crc = new CRC32C();
        crc.update(k.array(), 0, k.size());
        crc.update(value, 0, length);
        return (int) crc.getValue();
    }

    private static void writeKeyPart(BinaryOut k, Object part) {
        if (part instanceof Long l) {
            k.writeVarLong(l);
        } else {
            k.writeText((String) part);
        }
    }

    /** Checks and decodes a stored value; null stays null. */
    private <T> T open(int map, Object key, byte[] stored, Function<BinaryIn, T> decode) {
        if (stored == null) {
            return null;
        }
        if (stored.length < 4 || checksum(map, key, stored, stored.length - 4)
                != Frame.getInt(stored, stored.length - 4)) {
            throw new IndexDamagedException("a value of the index " + file + " fails its checksum (map " + map
                    + ", key " + describe(key) + ")", null);
        }
        try {
            BinaryIn in = new BinaryIn(stored, 0, stored.length - 4);
            T value = decode.apply(in);
            in.expectEnd();
            return value;
        } catch (MalformedDataException | IllegalArgumentException e) {
            throw new IndexDamagedException("a value of the index " + file + " matches its checksum but cannot be "
                    + "decoded (" + e.getMessage() + ")", e);
        }
    }

    private static String describe(Object key) {
        return key instanceof Object[] parts ? java.util.Arrays.toString(parts) : String.valueOf(key);
    }

    private static byte[] encode(java.util.function.Consumer<BinaryOut> writer) {
        BinaryOut out = new BinaryOut(128);
        writer.accept(out);
        return out.toByteArray();
    }

    /** Runs a read of MapDB, turning its failures on a damaged file into {@link IndexDamagedException}. */
    private <T> T reading(java.util.function.Supplier<T> read) {
        try {
            return read.get();
        } catch (IndexDamagedException e) {
            throw e;
        } catch (RuntimeException | AssertionError e) {
            throw damaged("MapDB failed reading " + file, e);
        }
    }

    // ---- meta ----

    IndexMeta meta() {
        return reading(() -> open(META, META_KEY, meta.get(META_KEY), IndexMeta::read));
    }

    void setMeta(IndexMeta m) {
        meta.put(META_KEY, seal(META, META_KEY, encode(m::write)));
    }

    void commit() {
        db.commit();
    }

    private boolean closed;

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            db.close();
        }
    }

    /**
     * Touches every map once and checks the meta value, so a file damaged where MapDB keeps its structure fails
     * here, at open, and not later in a user's call.
     */
    void verifyReadable() {
        reading(() -> {
            for (BTreeMap<?, ?> map : List.of(meta, keys, heads, details, runs, runIds, memories, embeddings, history,
                    memoryVersions)) {
                if (!map.isEmpty()) {
                    map.firstKey();
                    map.lastKey();
                }
            }
            return null;
        });
    }

    // ---- reads ----

    Long sid(SessionKey key) {
        Object[] k = {key.userId(), key.sessionId()};
        return reading(() -> open(KEYS, k, keys.get(k), BinaryIn::readVarLong));
    }

    SessionHead head(long sid) {
        return reading(() -> open(HEADS, sid, heads.get(sid), Values::readHead));
    }

    SessionDetails details(long sid) {
        return reading(() -> open(DETAILS, sid, details.get(sid), Values::readDetails));
    }

    RunEntry run(long sid, long sequence) {
        Object[] k = {sid, sequence};
        return reading(() -> open(RUNS, k, runs.get(k), Values::readRunEntry));
    }

    /** Runs with sequences in [from, to), ascending. */
    NavigableMap<Long, RunEntry> runs(long sid, long from, long to) {
        java.util.TreeMap<Long, RunEntry> out = new java.util.TreeMap<>();
        if (from >= to) {
            return out;
        }
        return reading(() -> {
            for (Map.Entry<Object[], byte[]> e : runs.subMap(new Object[] {sid, from}, true, new Object[] {sid, to},
                    false).entrySet()) {
                out.put((Long) e.getKey()[1], open(RUNS, e.getKey(), e.getValue(), Values::readRunEntry));
            }
            return out;
        });
    }

    /**
     * Whether the index certainly holds no run {@code runId} in session {@code sid}, answered from memory by the run
     * id filter; false when there may be one, or when the filter is not built.
     */
    boolean certainlyLacksRun(long sid, String runId) {
        RunIdFilter f = runIdFilter;
        return f != null && !f.mightContain(sid, runId);
    }

    /**
     * Builds the run id filter from every run id in the index, replacing any earlier one. The caller makes sure
     * nothing writes the index meanwhile (the maintenance thread, which alone writes it, builds it).
     *
     * @param stop asked now and then; true gives up, leaving the filter as it was
     * @return whether it was built
     */
    boolean buildRunIdFilter(BooleanSupplier stop) {
        return reading(() -> {
            long[] hashes = new long[1024];
            int n = 0;
            Iterator<Object[]> it = runIds.keyIterator();
            while (it.hasNext()) {
                Object[] k = it.next();
                if ((n & 0xffff) == 0xffff && stop.getAsBoolean()) {
                    return false;
                }
                if (n == hashes.length) {
                    hashes = Arrays.copyOf(hashes, n * 2);
                }
                hashes[n++] = RunIdFilter.hash((Long) k[0], (String) k[1]);
            }
            RunIdFilter f = RunIdFilter.forKeys(n);
            for (int i = 0; i < n; i++) {
                f.add(hashes[i]);
            }
            runIdFilter = f;
            return true;
        });
    }

    /** Whether the run id filter is missing or holds more than it was sized for: time to build it (again). */
    boolean runIdFilterWanted() {
        RunIdFilter f = runIdFilter;
        return f == null || f.full();
    }

    Long runSequence(long sid, String runId) {
        Object[] k = {sid, runId};
        return reading(() -> open(RUN_IDS, k, runIds.get(k), BinaryIn::readVarLong));
    }

    /** Visits the heads of one user's sessions, or of all when {@code userId} is null. */
    void forEachHead(String userId, Consumer<SessionHead> visitor) {
        reading(() -> {
            if (userId == null) {
                for (Map.Entry<Long, byte[]> e : heads.entrySet()) {
                    visitor.accept(open(HEADS, e.getKey(), e.getValue(), Values::readHead));
                }
            } else {
                for (Map.Entry<Object[], byte[]> e : keys.prefixSubMap(new Object[] {userId}).entrySet()) {
                    long sid = open(KEYS, e.getKey(), e.getValue(), BinaryIn::readVarLong);
                    SessionHead h = head(sid);
                    if (h == null) {
                        throw new IndexDamagedException("session number " + sid + " of " + describe(e.getKey())
                                + " has no head in " + file, null);
                    }
                    visitor.accept(h);
                }
            }
            return null;
        });
    }

    UserMemory memory(String userId, String memoryId) {
        Object[] k = {userId, memoryId};
        return reading(() -> open(MEMORIES, k, memories.get(k), Values::readMemory));
    }

    /** Memories of one user, by memory id. */
    Map<String, UserMemory> memories(String userId) {
        return reading(() -> {
            Map<String, UserMemory> out = new java.util.LinkedHashMap<>();
            for (Map.Entry<Object[], byte[]> e : memories.prefixSubMap(new Object[] {userId}).entrySet()) {
                out.put((String) e.getKey()[1], open(MEMORIES, e.getKey(), e.getValue(), Values::readMemory));
            }
            return out;
        });
    }

    Map<String, MemoryEmbedding> embeddings(String userId) {
        return reading(() -> {
            Map<String, MemoryEmbedding> out = new java.util.LinkedHashMap<>();
            for (Map.Entry<Object[], byte[]> e : embeddings.prefixSubMap(new Object[] {userId}).entrySet()) {
                out.put((String) e.getKey()[1], open(EMBEDDINGS, e.getKey(), e.getValue(), Values::readEmbedding));
            }
            return out;
        });
    }

    /** The history of one memory, by version. */
    NavigableMap<Long, MemoryChange> history(String userId, String memoryId) {
        return reading(() -> {
            java.util.TreeMap<Long, MemoryChange> out = new java.util.TreeMap<>();
            for (Map.Entry<Object[], byte[]> e : history.prefixSubMap(new Object[] {userId, memoryId}).entrySet()) {
                out.put((Long) e.getKey()[2], open(HISTORY, e.getKey(), e.getValue(), Values::readMemoryChange));
            }
            return out;
        });
    }

    /** Whether the user has memories, or a history of memories that are gone. */
    boolean hasMemoryData(String userId) {
        Object[] prefix = {userId};
        return reading(() -> !memories.prefixSubMap(prefix).isEmpty() || !history.prefixSubMap(prefix).isEmpty());
    }

    /** @return the version, or null when the user never had memories */
    Long memoriesVersion(String userId) {
        return reading(() -> open(MEMORY_VERSIONS, userId, memoryVersions.get(userId), BinaryIn::readVarLong));
    }

    // ---- writes (a checkpoint applying the store's recent changes) ----

    void putSid(SessionKey key, long sid) {
        Object[] k = {key.userId(), key.sessionId()};
        keys.put(k, seal(KEYS, k, encode(o -> o.writeVarLong(sid))));
    }

    void removeSid(SessionKey key) {
        keys.remove(new Object[] {key.userId(), key.sessionId()});
    }

    void putHead(SessionHead h) {
        heads.put(h.sid(), seal(HEADS, h.sid(), encode(o -> Values.writeHead(o, h))));
    }

    /**
     * Removes a deleted session's head and details. Its runs stay, unreachable (no head leads to them, and session
     * numbers are never reused), until compaction rewrites the index without them: removing a long session's runs
     * one by one would hold up the checkpoint.
     */
    void removeSession(long sid) {
        heads.remove(sid);
        details.remove(sid);
    }

    void putDetails(long sid, SessionDetails d) {
        details.put(sid, seal(DETAILS, sid, encode(o -> Values.writeDetails(o, d))));
    }

    void putRun(long sid, long sequence, RunEntry run) {
        Object[] k = {sid, sequence};
        runs.put(k, seal(RUNS, k, encode(o -> Values.writeRunEntry(o, run))));
    }

    void putRunId(long sid, String runId, long sequence) {
        Object[] k = {sid, runId};
        RunIdFilter f = runIdFilter;
        if (f != null) {
            // before the put: a lookup that finds the id gone from the layers must not be told "certainly not"
            f.add(sid, runId);
        }
        runIds.put(k, seal(RUN_IDS, k, encode(o -> o.writeVarLong(sequence))));
    }

    /** Writes memory records into this index (a checkpoint applying the store's recent changes). */
    MemoryWriter memoryWriter() {
        return new MemoryWriter(memories, embeddings, history, memoryVersions);
    }

    // ---- bulk content ----

    /** The sessions and runs of a new index, sorted by key for MapDB's bulk load. */
    static final class Content {
        final List<Pair<String, byte[]>> meta = new ArrayList<>();
        final List<Pair<Object[], byte[]>> keys = new ArrayList<>();
        final List<Pair<Long, byte[]>> heads = new ArrayList<>();
        final List<Pair<Long, byte[]>> details = new ArrayList<>();
        final List<Pair<Object[], byte[]>> runs = new ArrayList<>();
        final List<Pair<Object[], byte[]>> runIds = new ArrayList<>();

        /** The sessions and runs of a complete store in memory (no layer below it), sorted. */
        static Content of(Overlay store, Map<Long, NavigableMap<Long, byte[]>> runs, IndexMeta m) {
            Content c = new Content();
            c.meta.add(new Pair<>(META_KEY, seal(META, META_KEY, encode(m::write))));
            List<SessionKey> sessionKeys = new ArrayList<>();
            store.sids.forEach((k, sid) -> {
                if (store.findHead(sid) instanceof SessionHead) {
                    sessionKeys.add(k);
                }
            });
            sessionKeys.sort(Comparator.comparing(SessionKey::userId).thenComparing(SessionKey::sessionId));
            for (SessionKey k : sessionKeys) {
                long sid = store.sids.get(k);
                Object[] key = {k.userId(), k.sessionId()};
                c.keys.add(new Pair<>(key, seal(KEYS, key, encode(o -> o.writeVarLong(sid)))));
            }
            List<Long> sids = new ArrayList<>(store.heads.keySet());
            sids.sort(null);
            for (long sid : sids) {
                SessionHead h = store.heads.get(sid);
                c.heads.add(new Pair<>(sid, seal(HEADS, sid, encode(o -> Values.writeHead(o, h)))));
                SessionDetails d = store.details.get(sid);
                if (d != null) {
                    c.details.add(new Pair<>(sid, seal(DETAILS, sid, encode(o -> Values.writeDetails(o, d)))));
                }
                NavigableMap<Long, byte[]> sessionRuns = runs.get(sid);
                if (sessionRuns != null) {
                    sessionRuns.forEach((seq, run) -> {
                        Object[] key = {sid, seq};
                        c.runs.add(new Pair<>(key, seal(RUNS, key, run)));
                    });
                }
                Map<String, Long> ids = store.runIds.get(sid);
                if (ids != null) {
                    new java.util.TreeMap<>(ids).forEach((runId, seq) -> {
                        Object[] key = {sid, runId};
                        c.runIds.add(new Pair<>(key, seal(RUN_IDS, key, encode(o -> o.writeVarLong(seq)))));
                    });
                }
            }
            return c;
        }
    }
}
