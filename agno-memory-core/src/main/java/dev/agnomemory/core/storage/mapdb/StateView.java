package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.UserMemory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The store's state as readers and writers see it: the recent changes held in memory (the active layer, and while a
 * checkpoint writes them to the index, the frozen one) over the index, plus caches of values read from the index.
 *
 * <p>Rules:
 * <ul>
 *   <li>A lookup asks the active layer, then the frozen one, then the caches, then the index; the first that knows
 *       the key answers (a layer may know that the key was deleted).</li>
 *   <li>Three fair read/write locks, never more than one held by a reader: one for the layers (held for
 *       microseconds); one for the index and the journal records it points to, which a checkpoint holds exclusively
 *       while it applies a batch of changes (MapDB's newest-first reads race with its writers; a read that combines
 *       several maps must not see half a change); and one for single-key lookups ({@link #sid}, {@link #head},
 *       {@link #details}, {@link #run}, {@link #runSequence}, {@link #memory}), which go on while a checkpoint
 *       applies its changes: each is one B-tree get, which MapDB runs safely beside one writer, and the checkpoint
 *       only changes keys that the frozen layer answers first. Commits, index swaps and the drop of the frozen layer
 *       take both index locks exclusively (MapDB's commit starves under reads). Writers change only the active layer,
 *       and their planning uses single-key lookups only, so a checkpoint holds them up only for its commit.</li>
 *   <li>Layers are read before the index. The index only ever moves forward (a checkpoint applies a layer that
 *       readers see until the index has it), so a read may combine a value from a layer with a newer one from the
 *       index, never an older one; listings keep the higher version of a session found in both.</li>
 *   <li>A write's changes are computed in a layer of their own ({@link #mutation}) and installed at once
 *       ({@link #install}): readers see all of a call's changes or none.</li>
 * </ul>
 */
final class StateView {

    private final ReentrantReadWriteLock layerLock = new ReentrantReadWriteLock(true);
    private final ReentrantReadWriteLock indexLock = new ReentrantReadWriteLock(true);
    /** Single-key lookups; taken exclusively, after {@link #indexLock}, by everything but applying changes. */
    private final ReentrantReadWriteLock lookupLock = new ReentrantReadWriteLock(true);
    private Overlay active;
    /**
     * The active layer's record count, kept beside it so that the checkpoint policy, asked after every write, reads
     * it without the layer lock (which every write takes exclusively to install its changes).
     */
    private volatile int activeRecordCount;
    private Overlay frozen;
    /** Volatile for {@link #runSequence}, which reads it under the layer lock rather than an index lock. */
    private volatile Index index;
    private Journal journal;
    private long indexNextSid = 1;
    private long indexNextVersion = 1;

    private record RunKey(long sid, long sequence) {
    }

    private final LruCache<SessionKey, Long> sidCache = new LruCache<>(50_000, v -> 1);
    private final LruCache<Long, SessionHead> headCache = new LruCache<>(50_000, v -> 1);
    private final LruCache<RunKey, Run> runCache;

    /**
     * @param active the layer writes go to
     * @param index the index below it, or null for a store without one
     * @param journal the journal index values point into, or null for a store without files
     * @param runCacheBytes about how many bytes of recently read runs to keep decoded in memory
     */
    StateView(Overlay active, Index index, Journal journal, long nextSid, long nextVersion, long runCacheBytes) {
        this.active = active;
        this.activeRecordCount = active.records();
        this.index = index;
        this.journal = journal;
        this.indexNextSid = nextSid;
        this.indexNextVersion = nextVersion;
        this.runCache = new LruCache<>(runCacheBytes, StateView::weight);
    }

    private static long weight(Run run) {
        long w = 200;
        for (Message m : run.messages()) {
            w += 100 + 2L * m.content().length() + (m.payload() == null ? 0 : 2L * m.payload().length());
        }
        return w;
    }

    // ---- locking helpers ----

    private <T> T underLayers(Supplier<T> read) {
        Lock l = layerLock.readLock();
        l.lock();
        try {
            return read.get();
        } finally {
            l.unlock();
        }
    }

    /** Runs {@code read} against the current index under the index read lock; null when there is no index. */
    <T> T underIndex(Function<Index, T> read) {
        return underIndexLock(() -> index == null ? null : read.apply(index));
    }

    /** Runs {@code read} under the index read lock, which also keeps the journal's segments in place. */
    <T> T underIndexLock(Supplier<T> read) {
        Lock l = indexLock.readLock();
        l.lock();
        try {
            return read.get();
        } finally {
            l.unlock();
        }
    }

    /** Runs {@code lookup}, one get of one key, against the current index; null when there is no index. */
    private <T> T lookUp(Function<Index, T> lookup) {
        Lock l = lookupLock.readLock();
        l.lock();
        try {
            return index == null ? null : lookup.apply(index);
        } finally {
            l.unlock();
        }
    }

    /** Runs {@code change} with both index locks held exclusively: readers wait, writers do not. */
    <T> T writingIndex(Supplier<T> change) {
        Lock il = indexLock.writeLock();
        Lock kl = lookupLock.writeLock();
        il.lock();
        kl.lock();
        try {
            return change.get();
        } finally {
            kl.unlock();
            il.unlock();
        }
    }

    /**
     * Runs {@code change}, which applies a frozen layer's changes to the index, under the index write lock only:
     * single-key lookups go on meanwhile (see the class comment), reads of several keys wait.
     */
    <T> T applyingToIndex(Supplier<T> change) {
        Lock l = indexLock.writeLock();
        l.lock();
        try {
            return change.get();
        } finally {
            l.unlock();
        }
    }

    /** The first layer's answer: a value, {@link Overlay#DELETED}, or null. */
    private Object inLayers(Function<Overlay, Object> lookup) {
        return underLayers(() -> fromLayers(lookup));
    }

    /** {@link #inLayers} for a caller that holds the layer lock. */
    private Object fromLayers(Function<Overlay, Object> lookup) {
        Object r = lookup.apply(active);
        if (r == null && frozen != null) {
            r = lookup.apply(frozen);
        }
        return r;
    }

    @SuppressWarnings("unchecked")
    private static <T> T value(Object r) {
        return r == Overlay.DELETED ? null : (T) r;
    }

    // ---- lookups ----

    Long sid(SessionKey key) {
        // the epoch before the layers: a write installed later invalidates the value read below; one installed
        // earlier is in the layers
        long epoch = sidCache.epoch();
        Object r = inLayers(o -> o.findSid(key));
        if (r != null) {
            return value(r);
        }
        Long cached = sidCache.get(key);
        if (cached != null) {
            return cached;
        }
        Long sid = lookUp(i -> i.sid(key));
        if (sid != null) {
            sidCache.putIfUnchanged(key, sid, epoch);
        }
        return sid;
    }

    SessionHead head(long sid) {
        long epoch = headCache.epoch(); // before the layers, as in sid(key)
        Object r = inLayers(o -> o.findHead(sid));
        if (r != null) {
            return value(r);
        }
        SessionHead cached = headCache.get(sid);
        if (cached != null) {
            return cached;
        }
        SessionHead h = lookUp(i -> i.head(sid));
        if (h != null) {
            headCache.putIfUnchanged(sid, h, epoch);
        }
        return h;
    }

    SessionHead head(SessionKey key) {
        Long sid = sid(key);
        return sid == null ? null : head(sid);
    }

    SessionDetails details(long sid) {
        Object r = inLayers(o -> o.findDetails(sid));
        if (r != null) {
            SessionDetails d = value(r);
            return d == null ? SessionDetails.EMPTY : d;
        }
        SessionDetails d = lookUp(i -> i.details(sid));
        return d == null ? SessionDetails.EMPTY : d;
    }

    RunEntry run(long sid, long sequence) {
        Object r = inLayers(o -> o.findRun(sid, sequence));
        if (r != null) {
            return value(r);
        }
        return lookUp(i -> i.run(sid, sequence));
    }

    /**
     * The sequence of run {@code runId} of session {@code sid}, or null. A new id (nearly every run a writer starts)
     * is usually answered by the index's run id filter, without a B-tree lookup or waiting for a checkpoint's commit.
     */
    Long runSequence(long sid, String runId) {
        Object r = underLayers(() -> {
            Object v = fromLayers(o -> o.findRunSequence(sid, runId));
            // Asked under the layer lock: the frozen layer is dropped only after the index it went into is in
            // place and has its ids in the filter, so the layers seen here and this index hold every run id.
            Index i = index;
            if (v == null && i != null && i.certainlyLacksRun(sid, runId)) {
                v = Overlay.DELETED; // answered: no such run
            }
            return v;
        });
        if (r != null) {
            return value(r);
        }
        return lookUp(i -> i.runSequence(sid, runId));
    }

    UserMemory memory(String userId, String memoryId) {
        Object r = inLayers(o -> o.findMemory(userId, memoryId));
        if (r != null) {
            return value(r);
        }
        return lookUp(i -> i.memory(userId, memoryId));
    }

    /** The user's layers, oldest first, and whether the index below them still counts. */
    private record UserLayers(List<Overlay.UserLayer> layers, boolean indexCounts) {
    }

    private UserLayers userLayers(String userId) {
        return underLayers(() -> {
            List<Overlay.UserLayer> out = new ArrayList<>(2);
            boolean indexCounts = true;
            for (Overlay o : frozen == null ? List.of(active) : List.of(frozen, active)) {
                Overlay.UserLayer u = o.user(userId);
                if (u != null) {
                    if (u.wiped) {
                        out.clear();
                        indexCounts = false;
                    }
                    out.add(u.copy());
                }
            }
            return new UserLayers(out, indexCounts);
        });
    }

    Map<String, UserMemory> memories(String userId) {
        return layered(userId, i -> i.memories(userId), u -> u.memories);
    }

    Map<String, MemoryEmbedding> embeddings(String userId) {
        return layered(userId, i -> i.embeddings(userId), u -> u.embeddings);
    }

    /** The index's values of a user, then each layer's changes on top, oldest first (null in a layer: deleted). */
    private <V> Map<String, V> layered(String userId, Function<Index, Map<String, V>> stored,
            Function<Overlay.UserLayer, Map<String, V>> changes) {
        UserLayers layers = userLayers(userId);
        Map<String, V> out = new HashMap<>();
        if (layers.indexCounts()) {
            Map<String, V> fromIndex = underIndex(stored);
            if (fromIndex != null) {
                out.putAll(fromIndex);
            }
        }
        for (Overlay.UserLayer u : layers.layers()) {
            changes.apply(u).forEach((id, v) -> {
                if (v == null) {
                    out.remove(id);
                } else {
                    out.put(id, v);
                }
            });
        }
        return out;
    }

    NavigableMap<Long, MemoryChange> history(String userId, String memoryId) {
        UserLayers layers = userLayers(userId);
        TreeMap<Long, MemoryChange> out = new TreeMap<>();
        if (layers.indexCounts()) {
            NavigableMap<Long, MemoryChange> stored = underIndex(i -> i.history(userId, memoryId));
            if (stored != null) {
                out.putAll(stored);
            }
        }
        for (Overlay.UserLayer u : layers.layers()) {
            TreeMap<Long, MemoryChange> h = u.history.get(memoryId);
            if (h != null) {
                out.putAll(h);
            }
        }
        return out;
    }

    /** Whether the user has memories, or a history of memories that are gone. */
    boolean hasMemoryData(String userId) {
        UserLayers layers = userLayers(userId);
        for (Overlay.UserLayer u : layers.layers()) {
            if (u.memories.values().stream().anyMatch(m -> m != null) || !u.history.isEmpty()) {
                return true;
            }
        }
        if (!layers.indexCounts()) {
            return false;
        }
        return Boolean.TRUE.equals(underIndex(i -> i.hasMemoryData(userId)));
    }

    long memoriesVersion(String userId) {
        UserLayers layers = userLayers(userId);
        for (int i = layers.layers().size() - 1; i >= 0; i--) {
            Long v = layers.layers().get(i).version;
            if (v != null) {
                return v;
            }
        }
        if (!layers.indexCounts()) {
            return 0;
        }
        Long v = underIndex(i -> i.memoriesVersion(userId));
        return v == null ? 0 : v;
    }

    /** The next session number and version to hand out. */
    long nextSid() {
        return underLayers(() -> Math.max(indexNextSid, Math.max(active.maxSid(),
                frozen == null ? 0 : frozen.maxSid()) + 1));
    }

    long nextVersion() {
        return underLayers(() -> Math.max(indexNextVersion, Math.max(active.maxVersion(),
                frozen == null ? 0 : frozen.maxVersion()) + 1));
    }

    /** The heads of one user's sessions, or of all when {@code userId} is null. */
    List<SessionHead> heads(String userId) {
        record Snapshot(List<Long> deleted, List<SessionHead> heads) {
        }
        Snapshot snapshot = underLayers(() -> {
            List<Long> deleted = new ArrayList<>();
            List<SessionHead> heads = new ArrayList<>();
            for (Overlay o : frozen == null ? List.of(active) : List.of(frozen, active)) {
                deleted.addAll(o.deleted);
                for (SessionHead h : o.heads.values()) {
                    if (userId == null || h.key().userId().equals(userId)) {
                        heads.add(h);
                    }
                }
            }
            return new Snapshot(deleted, heads);
        });
        Map<Long, SessionHead> out = new HashMap<>();
        underIndex(i -> {
            i.forEachHead(userId, h -> out.put(h.sid(), h));
            return null;
        });
        for (long sid : snapshot.deleted()) {
            out.remove(sid);
        }
        for (SessionHead h : snapshot.heads()) {
            out.merge(h.sid(), h, (a, b) -> a.version() >= b.version() ? a : b);
        }
        return new ArrayList<>(out.values());
    }

    /** The run entries of a session in {@code [from, to)}. */
    NavigableMap<Long, RunEntry> runEntries(long sid, long from, long to) {
        record Snapshot(boolean deleted, TreeMap<Long, RunEntry> runs) {
        }
        Snapshot snapshot = underLayers(() -> {
            TreeMap<Long, RunEntry> runs = new TreeMap<>();
            boolean deleted = false;
            for (Overlay o : frozen == null ? List.of(active) : List.of(frozen, active)) {
                if (o.deleted.contains(sid)) {
                    deleted = true;
                    runs.clear();
                }
                runs.putAll(o.runs(sid, from, to));
            }
            return new Snapshot(deleted, runs);
        });
        TreeMap<Long, RunEntry> out = new TreeMap<>();
        if (!snapshot.deleted() && snapshot.runs().size() < to - from) {
            NavigableMap<Long, RunEntry> stored = underIndex(i -> i.runs(sid, from, to));
            if (stored != null) {
                out.putAll(stored);
            }
        }
        out.putAll(snapshot.runs());
        return out;
    }

    /**
     * The runs of a session in {@code [from, to)} with their messages: recent ones from the layers, others from the
     * run cache, the rest from the index and the journal (and then cached).
     */
    List<Run> runs(SessionKey key, long sid, long from, long to) {
        record Snapshot(boolean deleted, TreeMap<Long, RunEntry> runs) {
        }
        long epoch = runCache.epoch(); // before the layers, as in sid(key)
        Snapshot snapshot = underLayers(() -> {
            TreeMap<Long, RunEntry> runs = new TreeMap<>();
            boolean deleted = false;
            for (Overlay o : frozen == null ? List.of(active) : List.of(frozen, active)) {
                if (o.deleted.contains(sid)) {
                    deleted = true;
                    runs.clear();
                }
                runs.putAll(o.runs(sid, from, to));
            }
            return new Snapshot(deleted, runs);
        });
        TreeMap<Long, Run> out = new TreeMap<>();
        long missingFrom = Long.MAX_VALUE;
        long missingTo = Long.MIN_VALUE;
        for (long seq = from; seq < to; seq++) {
            if (snapshot.runs().containsKey(seq)) {
                continue;
            }
            Run cached = snapshot.deleted() ? null : runCache.get(new RunKey(sid, seq));
            if (cached != null) {
                out.put(seq, cached);
            } else if (!snapshot.deleted()) {
                missingFrom = Math.min(missingFrom, seq);
                missingTo = Math.max(missingTo, seq + 1);
            }
        }
        long mf = missingFrom;
        long mt = missingTo;
        boolean needIndex = mf < mt;
        boolean needJournal = snapshot.runs().values().stream()
                .anyMatch(r -> r.messages().stream().anyMatch(m -> m.message() == null));
        if (needIndex || needJournal) {
            underIndexLock(() -> {
                if (needIndex && index != null) {
                    for (Map.Entry<Long, RunEntry> e : index.runs(sid, mf, mt).entrySet()) {
                        if (!out.containsKey(e.getKey()) && !snapshot.runs().containsKey(e.getKey())) {
                            Run run = toRun(key, e.getKey(), e.getValue());
                            out.put(e.getKey(), run);
                            runCache.putIfUnchanged(new RunKey(sid, e.getKey()), run, epoch);
                        }
                    }
                }
                for (Map.Entry<Long, RunEntry> e : snapshot.runs().entrySet()) {
                    out.put(e.getKey(), toRun(key, e.getKey(), e.getValue()));
                }
                return null;
            });
        }
        for (Map.Entry<Long, RunEntry> e : snapshot.runs().entrySet()) {
            out.computeIfAbsent(e.getKey(), seq -> toRun(key, seq, e.getValue()));
        }
        return new ArrayList<>(out.values());
    }

    /** A run with its messages; reads the journal for messages not at hand, so only under the index read lock. */
    private Run toRun(SessionKey key, long sequence, RunEntry entry) {
        RunState s = entry.state();
        List<Message> messages = messages(entry.messages());
        return new Run(s.runId(), key, sequence, s.startedAt(), Optional.ofNullable(s.finishedAt()), messages,
                s.status(), Optional.ofNullable(s.error()), s.metrics());
    }

    /** The messages of {@code refs}; reads the journal for those not at hand (under the index read lock). */
    List<Message> messages(List<MessageRef> refs) {
        for (MessageRef m : refs) {
            if (m.message() == null) {
                return journal.messages(refs);
            }
        }
        List<Message> out = new ArrayList<>(refs.size());
        for (MessageRef m : refs) {
            out.add(m.message());
        }
        return out;
    }

    // ---- writes ----

    /**
     * What a write's records apply to: reads see {@code delta}'s changes, then the store's; changes go to
     * {@code delta}, to be {@link #install installed} at once.
     */
    RecordTarget mutation(Overlay delta) {
        return new ForwardingTarget(delta) {
            @Override
            public SessionHead head(long sid) {
                Object r = delta.findHead(sid);
                return r != null ? value(r) : StateView.this.head(sid);
            }

            @Override
            public SessionDetails details(long sid) {
                Object r = delta.findDetails(sid);
                if (r != null) {
                    SessionDetails d = value(r);
                    return d == null ? SessionDetails.EMPTY : d;
                }
                return StateView.this.details(sid);
            }

            @Override
            public RunEntry run(long sid, long sequence) {
                Object r = delta.findRun(sid, sequence);
                return r != null ? value(r) : StateView.this.run(sid, sequence);
            }
        };
    }

    /** Installs a write's changes into the active layer, invalidating what the caches hold of them. */
    void install(Overlay delta) {
        Lock l = layerLock.writeLock();
        l.lock();
        try {
            active.merge(delta);
            activeRecordCount = active.records();
            delta.sids.keySet().forEach(sidCache::invalidate);
            delta.heads.keySet().forEach(headCache::invalidate);
            delta.deleted.forEach(headCache::invalidate);
            delta.runs.forEach((sid, runs) -> runs.keySet().forEach(seq -> runCache.invalidate(new RunKey(sid, seq))));
            if (!delta.deleted.isEmpty()) {
                runCache.invalidateIf(k -> delta.deleted.contains(k.sid()));
            }
        } finally {
            l.unlock();
        }
    }

    // ---- checkpoints, rebuilds, compaction ----

    /** The active layer's size, for the checkpoint policy. */
    int activeRecords() {
        return activeRecordCount;
    }

    /**
     * Freezes the active layer (a checkpoint will write it to the index) and starts an empty one.
     *
     * @return the frozen layer
     * @throws IllegalStateException when a frozen layer is still being written
     */
    Overlay freeze() {
        Lock l = layerLock.writeLock();
        l.lock();
        try {
            if (frozen != null) {
                throw new IllegalStateException("a checkpoint is already in progress");
            }
            frozen = active;
            active = new Overlay(true);
            activeRecordCount = 0;
            return frozen;
        } finally {
            l.unlock();
        }
    }

    /** The frozen layer is in the index now: drop it. Takes both locks, so no reader sees neither. */
    void frozenApplied(long nextSid, long nextVersion) {
        writingIndex(() -> {
            Lock ll = layerLock.writeLock();
            ll.lock();
            try {
                frozen = null;
                indexNextSid = Math.max(indexNextSid, nextSid);
                indexNextVersion = Math.max(indexNextVersion, nextVersion);
            } finally {
                ll.unlock();
            }
            return null;
        });
    }

    /**
     * Puts a new index (after a rebuild or compaction, which also switches the journal's segments) in place of the
     * old one, then drops the frozen layer it includes. The new index is already open, so readers of the index wait
     * only for the swap of references and the rebase of the active layer; writers do not wait at all.
     *
     * @param fresh the new index, open
     * @param swapJournal switches the journal's segments, or null
     * @return the old index, no longer reachable by any reader, for the caller to close
     */
    Index replaceIndex(Index fresh, Runnable swapJournal, long replacedUpTo, long nextSid, long nextVersion) {
        Index old = writingIndex(() -> {
            Index previous = index;
            index = fresh;
            if (swapJournal != null) {
                swapJournal.run();
            }
            if (replacedUpTo >= 0) {
                rebase(replacedUpTo);
            }
            sidCache.clear();
            headCache.clear();
            runCache.clear();
            return previous;
        });
        frozenApplied(nextSid, nextVersion);
        return old;
    }

    /**
     * After a compaction replaced the journal's segments up to {@code replacedUpTo}: a run written to since the cut
     * still refers, for its earlier messages, to their old places. Those messages are the ones the new index has for
     * the run (it holds everything up to the cut), at their new places; the later ones stay. Runs the layer has
     * from before the cut are taken from the new index whole.
     */
    private void rebase(long replacedUpTo) {
        Lock l = layerLock.writeLock();
        l.lock();
        try {
            for (Map.Entry<Long, TreeMap<Long, RunEntry>> session : active.runs.entrySet()) {
                long sid = session.getKey();
                for (Map.Entry<Long, RunEntry> e : session.getValue().entrySet()) {
                    RunEntry run = e.getValue();
                    int old = 0;
                    while (old < run.messages().size() && isReplaced(run.messages().get(old), replacedUpTo)) {
                        old++;
                    }
                    if (old == 0) {
                        continue;
                    }
                    RunEntry stored = index.run(sid, e.getKey());
                    if (stored == null || stored.messages().size() != old) {
                        throw new IllegalStateException("after compaction, run " + e.getKey() + " of session number "
                                + sid + " has " + (stored == null ? "no entry" : stored.messages().size()
                                + " messages") + " in the new index, but " + old + " before the cut");
                    }
                    List<MessageRef> refs = new ArrayList<>(stored.messages());
                    refs.addAll(run.messages().subList(old, run.messages().size()));
                    e.setValue(new RunEntry(run.state(), refs));
                }
            }
        } finally {
            l.unlock();
        }
    }

    private static boolean isReplaced(MessageRef ref, long replacedUpTo) {
        if (ref.record() == null) {
            return false;
        }
        long segment = ref.record().segment();
        return segment >= 0 && segment <= replacedUpTo;
    }

    /** The index, for the maintenance thread (which writes it under {@link #writingIndex}). */
    Index index() {
        return index;
    }

    Journal journal() {
        return journal;
    }

    /** Gives the layers and the index up (the store is closing): waits for readers, returns the index. */
    Index detach() {
        return writingIndex(() -> {
            Lock ll = layerLock.writeLock();
            ll.lock();
            try {
                Index old = index;
                index = null;
                return old;
            } finally {
                ll.unlock();
            }
        });
    }
}
