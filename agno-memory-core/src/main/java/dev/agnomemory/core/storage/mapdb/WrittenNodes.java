package dev.agnomemory.core.storage.mapdb;

import java.util.LinkedHashMap;
import java.util.Map;
import kotlin.collections.LongIterator;
import org.mapdb.Serializer;
import org.mapdb.StoreTx;
import org.mapdb.StoreWAL;

/**
 * MapDB's store for the index, holding the records written in the current transaction as objects: a record changed
 * again and again in one transaction reaches MapDB once, at the commit, and reading one back decodes nothing.
 *
 * <p>Why: a checkpoint puts each run and run id into MapDB's B-trees. A put reads the node it changes and writes a
 * whole new version of it, and runs are added at a session's right edge, so a leaf of 32 entries was written 32
 * times, growing, into MapDB's log (a checkpoint of 2,000 runs wrote 7 MB, six times the journal's bytes for them),
 * and each next put read the last version back from the log and decoded it (45% of the puts' time in a profile).
 *
 * <p>Rules:
 * <ul>
 *   <li>{@code update} keeps the record, not yet written to MapDB; {@code put} (a new record) and a
 *       {@code compareAndSwap} go to MapDB at once and keep what MapDB took. A read that misses goes to MapDB and
 *       keeps nothing, so a reader racing a writer cannot put an older version in.</li>
 *   <li>A read is answered from it with the serializer the record was written with (MapDB's B-tree nodes are never
 *       changed after they are written: a change writes a new node); with another one, the record is written to
 *       MapDB first, then read from there.</li>
 *   <li>A commit writes every record not yet written, in the order they were last changed, then commits and drops
 *       everything: between checkpoints it holds nothing. A {@code compareAndSwap} or a {@code delete} writes or
 *       drops its record first; a compaction or {@code verify} writes everything first.</li>
 *   <li>A rollback or close drops everything (records not written never reached MapDB, so there is nothing of them
 *       to undo).</li>
 *   <li>It holds at most {@value #MAX_RECORDS} records; beyond that the one changed longest ago is written to
 *       MapDB, if it was not, and dropped.</li>
 *   <li>Durability is MapDB's: nothing is durable before a commit either way.</li>
 *   <li>Everything else is MapDB's {@link StoreWAL}'s (which, like this store, offers B-tree lookups no binary
 *       search inside a stored node: they read whole nodes through {@link #get}).</li>
 * </ul>
 */
final class WrittenNodes implements StoreTx {

    /**
     * The right edges of the trees and the other nodes one checkpoint changes; a node is 5–8 KB decoded (32
     * entries), so at most 3–4 MB while a checkpoint runs.
     */
    static final int MAX_RECORDS = 512;

    /** A record as last written; {@code pending} until it has reached MapDB. */
    private record Held(Object record, Serializer<?> serializer, boolean pending) {
    }

    private final StoreWAL store;
    /** By recid, in the order they were last changed; guarded by {@code this}. */
    private final LinkedHashMap<Long, Held> held = new LinkedHashMap<>(64, 0.75f, false);

    WrittenNodes(StoreWAL store) {
        this.store = store;
    }

    /** The record as this store holds it, or null: not held, or held for another serializer (then written first). */
    private synchronized Held recall(long recid, Serializer<?> serializer) {
        Held h = held.get(recid);
        if (h == null || h.serializer() == serializer) {
            return h;
        }
        held.put(recid, writtenOut(recid, h));
        return null;
    }

    /** Holds {@code record} as the newest version of {@code recid}, written to MapDB or not. */
    private synchronized void hold(long recid, Object record, Serializer<?> serializer, boolean pending) {
        // removed first, so a record changed again moves to the newest end
        held.remove(recid);
        held.put(recid, new Held(record, serializer, pending));
        while (held.size() > MAX_RECORDS) {
            Map.Entry<Long, Held> eldest = held.entrySet().iterator().next();
            writtenOut(eldest.getKey(), eldest.getValue());
            held.remove(eldest.getKey());
        }
    }

    /** Writes the record of {@code recid} to MapDB if it has not reached it yet, and drops it. */
    private synchronized void writeOutAndDrop(long recid) {
        Held h = held.remove(recid);
        if (h != null) {
            writtenOut(recid, h);
        }
    }

    private synchronized void writeOutAll() {
        for (Map.Entry<Long, Held> e : held.entrySet()) {
            e.setValue(writtenOut(e.getKey(), e.getValue()));
        }
    }

    /** Writes a held record to MapDB if it has not reached it; returns it as held once it has. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private Held writtenOut(long recid, Held h) {
        if (!h.pending()) {
            return h;
        }
        store.update(recid, h.record(), (Serializer) h.serializer());
        return new Held(h.record(), h.serializer(), false);
    }

    private synchronized void dropAll() {
        held.clear();
    }

    /** Visits the records it holds, with their serializers and whether they have reached MapDB (for tests). */
    synchronized void forEachHeld(HeldRecord visitor) {
        held.forEach((recid, h) -> visitor.visit(recid, h.record(), h.serializer(), h.pending()));
    }

    /** See {@link #forEachHeld}. */
    @FunctionalInterface
    interface HeldRecord {
        void visit(long recid, Object record, Serializer<?> serializer, boolean pending);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <R> R get(long recid, Serializer<R> serializer) {
        Held h = recall(recid, serializer);
        if (h != null) {
            return (R) h.record();
        }
        return store.get(recid, serializer);
    }

    @Override
    public <R> long put(R record, Serializer<R> serializer) {
        long recid = store.put(record, serializer);
        if (record != null) {
            hold(recid, record, serializer, false);
        }
        return recid;
    }

    @Override
    public <R> void update(long recid, R record, Serializer<R> serializer) {
        if (record == null) {
            forgetThen(recid, () -> store.update(recid, null, serializer));
            return;
        }
        hold(recid, record, serializer, true);
    }

    @Override
    public <R> boolean compareAndSwap(long recid, R expectedOldRecord, R newRecord, Serializer<R> serializer) {
        writeOutAndDrop(recid);
        boolean swapped = store.compareAndSwap(recid, expectedOldRecord, newRecord, serializer);
        if (swapped && newRecord != null) {
            hold(recid, newRecord, serializer, false);
        }
        return swapped;
    }

    @Override
    public <R> void delete(long recid, Serializer<R> serializer) {
        forgetThen(recid, () -> store.delete(recid, serializer));
    }

    /** Drops the record, then lets MapDB change it, with readers held off in between. */
    private synchronized void forgetThen(long recid, Runnable change) {
        held.remove(recid);
        change.run();
    }

    @Override
    public long preallocate() {
        return store.preallocate();
    }

    @Override
    public void commit() {
        writeOutAll();
        store.commit();
        dropAll();
    }

    @Override
    public void rollback() {
        dropAll();
        store.rollback();
    }

    @Override
    public void compact() {
        writeOutAll();
        dropAll();
        store.compact();
    }

    @Override
    public void close() {
        dropAll();
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
        writeOutAll();
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
