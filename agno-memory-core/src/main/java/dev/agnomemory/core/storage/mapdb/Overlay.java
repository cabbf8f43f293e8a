package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.UserMemory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Changes held in memory, in the shape of the index: the store's changes since its last checkpoint (over the index),
 * one write's changes before they are installed, a whole store kept in memory, or an index being built from the
 * journal.
 *
 * <p>A layer knows, for every key it has seen, the new value or that the value was deleted; for other keys it knows
 * nothing, and a reader asks the layer below. Lookups return the value, {@link #DELETED}, or null (ask below).
 * {@link #merge} puts a newer layer on top of this one. Not thread-safe; {@link StateView} guards it.
 */
final class Overlay implements RecordTarget {

    /** A lookup's answer when the layer knows the value was deleted. */
    static final Object DELETED = new Object() {
        @Override
        public String toString() {
            return "DELETED";
        }
    };

    private static final long NO_SID = -1;

    /** The memory data of one user in this layer. */
    static final class UserLayer {
        /** Whether all of the user's memories below this layer were deleted. */
        boolean wiped;
        /** Memory id to memory, or to null when deleted. */
        final Map<String, UserMemory> memories = new HashMap<>();
        /** Memory id to embedding, or to null when deleted. */
        final Map<String, MemoryEmbedding> embeddings = new HashMap<>();
        /** Memory id to its history entries added in this layer, by version. */
        final Map<String, TreeMap<Long, MemoryChange>> history = new HashMap<>();
        /** The user's memories version, when changed in this layer. */
        Long version;

        UserLayer copy() {
            UserLayer c = new UserLayer();
            c.wiped = wiped;
            c.memories.putAll(memories);
            c.embeddings.putAll(embeddings);
            history.forEach((id, h) -> c.history.put(id, new TreeMap<>(h)));
            c.version = version;
            return c;
        }
    }

    private final boolean keepMessages;
    final Map<SessionKey, Long> sids = new HashMap<>();
    final Map<Long, SessionHead> heads = new HashMap<>();
    final Set<Long> deleted = new HashSet<>();
    final Map<Long, SessionDetails> details = new HashMap<>();
    final Map<Long, TreeMap<Long, RunEntry>> runs = new HashMap<>();
    final Map<Long, Map<String, Long>> runIds = new HashMap<>();
    final Map<String, UserLayer> users = new HashMap<>();
    private long maxSid;
    private long maxVersion;
    private int records;
    private long bytes;
    private boolean removesContent;
    private long supersededBytes;

    /**
     * @param keepMessages whether runs keep their messages' text (a live store's recent writes, a store in memory);
     *     without, only the journal records holding them (an index being built, a store opened read-only)
     */
    Overlay(boolean keepMessages) {
        this.keepMessages = keepMessages;
    }

    boolean isEmpty() {
        return records == 0 && sids.isEmpty() && users.isEmpty() && maxSid == 0 && maxVersion == 0;
    }

    // ---- lookups: a value, DELETED, or null (not known here) ----

    Object findSid(SessionKey key) {
        Long sid = sids.get(key);
        return sid == null ? null : sid == NO_SID ? DELETED : sid;
    }

    Object findHead(long sid) {
        return deleted.contains(sid) ? DELETED : heads.get(sid);
    }

    Object findDetails(long sid) {
        return deleted.contains(sid) ? DELETED : details.get(sid);
    }

    Object findRun(long sid, long sequence) {
        if (deleted.contains(sid)) {
            return DELETED;
        }
        TreeMap<Long, RunEntry> r = runs.get(sid);
        return r == null ? null : r.get(sequence);
    }

    /** The runs of the session this layer has, in {@code [from, to)}. */
    NavigableMap<Long, RunEntry> runs(long sid, long from, long to) {
        TreeMap<Long, RunEntry> r = runs.get(sid);
        return r == null || from >= to ? new TreeMap<>() : r.subMap(from, true, to, false);
    }

    Object findRunSequence(long sid, String runId) {
        if (deleted.contains(sid)) {
            return DELETED;
        }
        Map<String, Long> ids = runIds.get(sid);
        return ids == null ? null : ids.get(runId);
    }

    Object findMemory(String userId, String memoryId) {
        UserLayer u = users.get(userId);
        if (u == null) {
            return null;
        }
        if (u.memories.containsKey(memoryId)) {
            UserMemory m = u.memories.get(memoryId);
            return m == null ? DELETED : m;
        }
        return u.wiped ? DELETED : null;
    }

    Object findEmbedding(String userId, String memoryId) {
        UserLayer u = users.get(userId);
        if (u == null) {
            return null;
        }
        if (u.embeddings.containsKey(memoryId)) {
            MemoryEmbedding e = u.embeddings.get(memoryId);
            return e == null ? DELETED : e;
        }
        return u.wiped ? DELETED : null;
    }

    UserLayer user(String userId) {
        return users.get(userId);
    }

    long maxSid() {
        return maxSid;
    }

    long maxVersion() {
        return maxVersion;
    }

    // ---- changes ----

    @Override
    public void putHead(SessionHead head) {
        sids.put(head.key(), head.sid());
        heads.put(head.sid(), head);
    }

    @Override
    public void putDetails(long sid, SessionDetails d) {
        details.put(sid, d);
    }

    @Override
    public void putRun(long sid, long sequence, RunEntry run) {
        RunEntry stored = run;
        if (!keepMessages && run.messages().stream().anyMatch(m -> m.message() != null)) {
            List<MessageRef> refs = new ArrayList<>(run.messages().size());
            for (MessageRef m : run.messages()) {
                refs.add(m.withoutMessage());
            }
            stored = new RunEntry(run.state(), refs);
        }
        runs.computeIfAbsent(sid, s -> new TreeMap<>()).put(sequence, stored);
    }

    @Override
    public void putRunId(long sid, String runId, long sequence) {
        runIds.computeIfAbsent(sid, s -> new HashMap<>()).put(runId, sequence);
    }

    @Override
    public void deleteSession(SessionKey key, long sid) {
        sids.put(key, NO_SID);
        dropSession(sid);
    }

    private void dropSession(long sid) {
        deleted.add(sid);
        heads.remove(sid);
        details.remove(sid);
        runs.remove(sid);
        runIds.remove(sid);
    }

    private UserLayer userForChange(String userId) {
        return users.computeIfAbsent(userId, u -> new UserLayer());
    }

    @Override
    public void putMemory(UserMemory memory) {
        userForChange(memory.userId()).memories.put(memory.memoryId(), memory);
    }

    @Override
    public void removeMemory(String userId, String memoryId) {
        UserLayer u = userForChange(userId);
        u.memories.put(memoryId, null);
        u.embeddings.put(memoryId, null);
    }

    @Override
    public void putEmbedding(MemoryEmbedding embedding) {
        userForChange(embedding.userId()).embeddings.put(embedding.memoryId(), embedding);
    }

    @Override
    public void putHistory(long version, MemoryChange change) {
        userForChange(change.userId()).history.computeIfAbsent(change.memoryId(), id -> new TreeMap<>())
                .put(version, change);
    }

    @Override
    public void wipeMemories(String userId) {
        UserLayer u = new UserLayer();
        u.wiped = true;
        users.put(userId, u);
    }

    @Override
    public void setMemoriesVersion(String userId, long version) {
        userForChange(userId).version = version;
    }

    @Override
    public void advanceCounters(long sid, long version) {
        maxSid = Math.max(maxSid, sid);
        maxVersion = Math.max(maxVersion, version);
    }

    /** Counts one record (and its journal bytes) toward the layer's size and the purge policy. */
    void counted(JournalRecord record, long recordBytes) {
        records++;
        bytes += recordBytes;
        removesContent |= record.removesContent();
        if (record.supersedes()) {
            supersededBytes += recordBytes;
        }
    }

    int records() {
        return records;
    }

    long bytes() {
        return bytes;
    }

    boolean removesContent() {
        return removesContent;
    }

    /** Journal bytes of records that replaced an older value: about what compaction could drop. */
    long supersededBytes() {
        return supersededBytes;
    }

    /** Puts {@code newer}'s changes on top of this layer's. */
    void merge(Overlay newer) {
        for (long sid : newer.deleted) {
            dropSession(sid);
        }
        sids.putAll(newer.sids);
        heads.putAll(newer.heads);
        details.putAll(newer.details);
        newer.runs.forEach((sid, r) -> runs.computeIfAbsent(sid, s -> new TreeMap<>()).putAll(r));
        newer.runIds.forEach((sid, ids) -> runIds.computeIfAbsent(sid, s -> new HashMap<>()).putAll(ids));
        newer.users.forEach((userId, n) -> {
            if (n.wiped) {
                users.put(userId, n.copy());
                return;
            }
            UserLayer u = userForChange(userId);
            u.memories.putAll(n.memories);
            u.embeddings.putAll(n.embeddings);
            n.history.forEach((id, h) -> u.history.computeIfAbsent(id, x -> new TreeMap<>()).putAll(h));
            if (n.version != null) {
                u.version = n.version;
            }
        });
        maxSid = Math.max(maxSid, newer.maxSid);
        maxVersion = Math.max(maxVersion, newer.maxVersion);
        records += newer.records;
        bytes += newer.bytes;
        removesContent |= newer.removesContent;
        supersededBytes += newer.supersededBytes;
    }

    /**
     * What writing this layer into the index takes, one index change each, in an order that makes each key's last
     * change win (deletions first).
     */
    List<Consumer<Index>> indexChanges() {
        List<Consumer<Index>> ops = new ArrayList<>();
        for (long sid : deleted) {
            ops.add(i -> i.removeSession(sid));
        }
        sids.forEach((key, sid) -> ops.add(sid == NO_SID ? i -> i.removeSid(key) : i -> i.putSid(key, sid)));
        for (long sid : new TreeMap<>(heads).keySet()) {
            SessionHead h = heads.get(sid);
            ops.add(i -> i.putHead(h));
            SessionDetails d = details.get(sid);
            if (d != null) {
                ops.add(i -> i.putDetails(sid, d));
            }
            TreeMap<Long, RunEntry> r = runs.get(sid);
            if (r != null) {
                r.forEach((seq, run) -> ops.add(i -> i.putRun(sid, seq, run)));
            }
            Map<String, Long> ids = runIds.get(sid);
            if (ids != null) {
                ids.forEach((runId, seq) -> ops.add(i -> i.putRunId(sid, runId, seq)));
            }
        }
        users.forEach((userId, u) -> {
            if (u.wiped) {
                ops.add(i -> i.memoryWriter().wipeMemories(userId));
            }
            u.memories.forEach((id, m) -> ops.add(m == null ? i -> i.memoryWriter().removeMemory(userId, id)
                    : i -> i.memoryWriter().putMemory(m)));
            u.embeddings.forEach((id, e) -> ops.add(e == null ? i -> i.memoryWriter().removeEmbedding(userId, id)
                    : i -> i.memoryWriter().putEmbedding(e)));
            u.history.forEach((id, h) -> h.forEach((version, c) -> ops.add(i -> i.memoryWriter().putHistory(version,
                    c))));
            if (u.version != null) {
                long v = u.version;
                ops.add(i -> i.memoryWriter().putMemoriesVersion(userId, v));
            }
        });
        return ops;
    }

    // ---- as a complete store on its own (nothing below it) ----

    @Override
    public SessionHead head(long sid) {
        return findHead(sid) instanceof SessionHead h ? h : null;
    }

    @Override
    public SessionDetails details(long sid) {
        return findDetails(sid) instanceof SessionDetails d ? d : SessionDetails.EMPTY;
    }

    @Override
    public RunEntry run(long sid, long sequence) {
        return findRun(sid, sequence) instanceof RunEntry r ? r : null;
    }
}
