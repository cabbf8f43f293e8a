package dev.agnomemory.core.storage.mapdb;

import java.util.LinkedHashMap;
import java.util.Map;
import kotlin.collections.LongIterator;
import org.mapdb.Serializer;
import org.mapdb.StoreTx;
import org.mapdb.StoreWAL;

/**
 * MapDB's store for the index, keeping the records written in the current transaction as the objects that were
 * written, so that reading one back does not read MapDB's log and decode it again.
 *
 * <p>Why: a B-tree put reads the node it changes and writes a new version; the next put into the same node (runs of
 * one session are added at the right edge of the runs map) read that version back from MapDB's log and decoded it,
 * which was the larger half of a checkpoint's time (a profile of checkpoints on tmpfs: 45% of the puts' time in
 * {@code StoreWAL.get}, decoding and reading back).
 *
 * <p>Rules:
 * <ul>
 *   <li>Only writes fill it: {@code put}, {@code update} and a {@code compareAndSwap} that succeeded remember the
 *       record they wrote, after MapDB took it. A read that misses goes to MapDB and remembers nothing, so a reader
 *       racing a writer cannot put an older version in.</li>
 *   <li>A read is answered from it only with the serializer the record was written with (MapDB's B-tree nodes are
 *       never changed after they are written: a change writes a new node).</li>
 *   <li>{@code delete} forgets the record before MapDB deletes it; a commit, rollback, compaction or close forgets
 *       everything (after a commit the records are in the main file, read through its block cache).</li>
 *   <li>It holds at most {@value #MAX_RECORDS} records, dropping the one written longest ago first.</li>
 *   <li>Everything else is MapDB's {@link StoreWAL}'s (which, like this store, offers B-tree lookups no binary
 *       search inside a stored node: they read whole nodes through {@link #get}).</li>
 * </ul>
 */
final class WrittenNodes implements StoreTx {

    /** A few checkpoints' worth of right-edge nodes; a node is a few kilobytes decoded. */
    static final int MAX_RECORDS = 512;

    private record Written(Object record, Serializer<?> serializer) {
    }

    private final StoreWAL store;
    private final Map<Long, Written> written = new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Written> eldest) {
            return size() > MAX_RECORDS;
        }
    };

    WrittenNodes(StoreWAL store) {
        this.store = store;
    }

    private synchronized Written recall(long recid) {
        return written.get(recid);
    }

    private synchronized void remember(long recid, Object record, Serializer<?> serializer) {
        // removed first, so a record written again moves to the newest end
        written.remove(recid);
        if (record != null) {
            written.put(recid, new Written(record, serializer));
        }
    }

    private synchronized void forget(long recid) {
        written.remove(recid);
    }

    private synchronized void forgetAll() {
        written.clear();
    }

    /** Visits the records it holds now, with the serializer each was written with (for tests). */
    synchronized void forEachHeld(HeldRecord visitor) {
        written.forEach((recid, w) -> visitor.visit(recid, w.record(), w.serializer()));
    }

    /** See {@link #forEachHeld}. */
    @FunctionalInterface
    interface HeldRecord {
        void visit(long recid, Object record, Serializer<?> serializer);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <R> R get(long recid, Serializer<R> serializer) {
        Written w = recall(recid);
        if (w != null && w.serializer() == serializer) {
            return (R) w.record();
        }
        return store.get(recid, serializer);
    }

    @Override
    public <R> long put(R record, Serializer<R> serializer) {
        long recid = store.put(record, serializer);
        remember(recid, record, serializer);
        return recid;
    }

    @Override
    public <R> void update(long recid, R record, Serializer<R> serializer) {
        store.update(recid, record, serializer);
        remember(recid, record, serializer);
    }

    @Override
    public <R> boolean compareAndSwap(long recid, R expectedOldRecord, R newRecord, Serializer<R> serializer) {
        // forgotten first: whatever MapDB decides, a reader must not get the version before the swap from here
        forget(recid);
        boolean swapped = store.compareAndSwap(recid, expectedOldRecord, newRecord, serializer);
        if (swapped) {
            remember(recid, newRecord, serializer);
        }
        return swapped;
    }

    @Override
    public <R> void delete(long recid, Serializer<R> serializer) {
        forget(recid);
        store.delete(recid, serializer);
    }

    @Override
    public long preallocate() {
        return store.preallocate();
    }

    @Override
    public void commit() {
        store.commit();
        forgetAll();
    }

    @Override
    public void rollback() {
        forgetAll();
        store.rollback();
    }

    @Override
    public void compact() {
        forgetAll();
        store.compact();
    }

    @Override
    public void close() {
        forgetAll();
        store.close();
    }

    @Override
    public LongIterator getAllRecids() {
        return store.getAllRecids();
    }

    @Override
    public Iterable<String> getAllFiles() {
        return store.getAllFiles();
    }

    @Override
    public boolean isClosed() {
        return store.isClosed();
    }

    @Override
    public void verify() {
        store.verify();
    }

    @Override
    public boolean isReadOnly() {
        return store.isReadOnly();
    }

    @Override
    public boolean fileLoad() {
        return store.fileLoad();
    }

    @Override
    public boolean isThreadSafe() {
        return store.isThreadSafe();
    }

    @Override
    public void checkThreadSafe() {
        store.checkThreadSafe();
    }
}
