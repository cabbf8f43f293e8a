package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.storage.StorageException;
import dev.agnomemory.core.storage.mapdb.Index.IndexDamagedException;
import dev.agnomemory.core.storage.mapdb.JournalRecord.CheckpointBegin;
import dev.agnomemory.core.storage.mapdb.Planner.Planned;
import java.util.List;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind {@link MapDbStorage}: runs writes and reads, and holds the locks, the failure state and the
 * lifecycle.
 *
 * <p>Rules:
 * <ul>
 *   <li><b>Writes</b> are serialized by the writer lock, which covers planning ({@link Planner}), applying the
 *       records to a layer of their own, queueing their frame for the {@link LogWriter} and installing the layer, so
 *       the journal's order is the order in which readers see writes. The caller then waits, without the lock, until
 *       its frame is durable: concurrent writers share one flush.</li>
 *   <li><b>Reads</b> see every installed write. A read that finds the index damaged has it rebuilt from the journal
 *       and is answered again; a read never returns wrong bytes.</li>
 *   <li><b>Failure.</b> A write that could not be made durable (or any failure that leaves the files in doubt)
 *       fails the store: every later call throws {@link StorageException} until it is reopened, which recovers from
 *       the journal. Continuing would acknowledge writes whose durability is unknown.</li>
 *   <li><b>Lifecycle.</b> Every call holds the lifecycle's read lock; {@link #close} takes its write lock, so it waits
 *       for calls in progress (a reader is never left with a closed index, a writer's pending flush is settled) and
 *       calls after it fail with {@link IllegalStateException}.</li>
 * </ul>
 */
final class Engine {

    private static final Logger log = LoggerFactory.getLogger(Engine.class);

    private final String name;
    private final StateView view;
    private final Journal journal;
    private final Planner planner;
    private final boolean readOnly;
    private final Runnable release;
    private final ReentrantLock writer = new ReentrantLock();
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed;
    private volatile StorageException failure;
    /** The number of the next journal record; guarded by {@link #writer}. */
    private long nextLsn;
    private Maintenance maintenance;

    /**
     * @param name the store file, or "in-memory", for messages
     * @param journal the journal, or null for a store without files
     * @param nextLsn the number of the next journal record
     * @param readOnly whether writes are refused
     * @param release releases the store's files and lock at close, after everything else
     */
    Engine(String name, StateView view, Journal journal, java.time.Clock clock, long nextLsn, boolean readOnly,
            Runnable release) {
        this.name = name;
        this.view = view;
        this.journal = journal;
        this.planner = new Planner(view, clock);
        this.nextLsn = nextLsn;
        this.readOnly = readOnly;
        this.release = release;
    }

    void attach(Maintenance m) {
        this.maintenance = m;
    }

    Maintenance maintenance() {
        return maintenance;
    }

    String name() {
        return name;
    }

    StateView view() {
        return view;
    }

    Journal journal() {
        return journal;
    }

    boolean readOnly() {
        return readOnly;
    }

    // ---- calls ----

    /**
     * Plans a write, applies it, and returns once it is durable.
     *
     * @throws IllegalStateException or IllegalArgumentException from the plan, changing nothing
     * @throws StorageException when the write could not be made durable (the store is then failed)
     */
    <T> T write(Function<Planner, Planned<T>> plan) {
        Lock gate = lifecycle.readLock();
        gate.lock();
        try {
            ensureUsable();
            if (readOnly) {
                throw new UnsupportedOperationException("The storage " + name + " is open read-only");
            }
            try {
                return writeOnce(plan);
            } catch (IndexDamagedException e) {
                repair(e);
                return writeOnce(plan);
            }
        } finally {
            gate.unlock();
        }
    }

    private <T> T writeOnce(Function<Planner, Planned<T>> plan) {
        T result;
        Overlay delta;
        long last;
        writer.lock();
        try {
            ensureUsable();
            Planned<T> planned = plan.apply(planner);
            List<JournalRecord> records = planned.records();
            if (records.isEmpty()) {
                return planned.result().apply(null);
            }
            Frame frame = journal == null ? null : Frame.encode(records, nextLsn);
            delta = new Overlay(true);
            RecordTarget target = view.mutation(delta);
            try {
                for (int i = 0; i < records.size(); i++) {
                    RecordRef where = frame == null ? null : frame.refs().get(i);
                    records.get(i).apply(target, where);
                    delta.counted(records.get(i), where == null ? 0 : where.length());
                }
                result = planned.result().apply(target);
            } catch (IndexDamagedException e) {
                throw e;
            } catch (RuntimeException e) {
                throw fail("Applying a write failed", e);
            }
            if (frame != null) {
                submit(frame, false);
            }
            view.install(delta);
            nextLsn += records.size();
            last = nextLsn - 1;
        } finally {
            writer.unlock();
        }
        if (journal != null) {
            awaitDurable(last);
        }
        if (maintenance != null) {
            maintenance.afterWrite(delta);
        }
        return result;
    }

    private void submit(Frame frame, boolean rollFirst) {
        try {
            journal.submit(frame, rollFirst);
        } catch (StorageException e) {
            throw fail("Writing the journal failed", e);
        }
    }

    private void awaitDurable(long lsn) {
        try {
            journal.awaitDurable(lsn);
        } catch (StorageException e) {
            throw fail("Writing the journal failed", e);
        }
    }

    /** Runs a read; a damaged index is rebuilt and the read answered again. */
    <T> T read(Supplier<T> reader) {
        Lock gate = lifecycle.readLock();
        gate.lock();
        try {
            ensureUsable();
            try {
                return reader.get();
            } catch (IndexDamagedException e) {
                repair(e);
                try {
                    return reader.get();
                } catch (IndexDamagedException again) {
                    throw fail("The rebuilt index is damaged too", again);
                }
            }
        } finally {
            gate.unlock();
        }
    }

    /** Runs maintenance the user asked for (checkpoint, compaction) on the store's own thread. */
    void maintain(String what, Runnable work) {
        Lock gate = lifecycle.readLock();
        gate.lock();
        try {
            ensureUsable();
            if (readOnly || maintenance == null) {
                return;
            }
            IoThread.run(what + " " + name, work);
        } finally {
            gate.unlock();
        }
    }

    private void repair(IndexDamagedException e) {
        if (maintenance == null) {
            throw fail("Reading the store failed", e);
        }
        log.warn("Store {}: the index cannot be trusted ({}); rebuilding it from the journal", name, e.getMessage());
        try {
            IoThread.run("repair " + name, () -> maintenance.rebuildIndex(e.getMessage()));
        } catch (RuntimeException r) {
            throw fail("Rebuilding the damaged index failed", r);
        }
    }

    // ---- what maintenance needs ----

    /**
     * A cut of the journal for a checkpoint, rebuild or compaction: the active layer frozen (it holds every record up
     * to {@code coveredLsn} not yet in the index) and a {@link CheckpointBegin} queued right after it.
     *
     * @param marker the begin marker's frame
     */
    record Cut(long coveredLsn, Frame marker, Overlay frozen, long nextSid, long nextVersion) {
    }

    /**
     * Takes a cut, or returns null when there is nothing to write.
     *
     * @param newIndex whether a new index file is built (rebuild, compaction) rather than the live one committed
     * @param roll whether the marker starts a new journal segment (so every segment before it is complete)
     */
    Cut cut(boolean newIndex, boolean roll, boolean evenIfEmpty) {
        writer.lock();
        try {
            ensureNotFailed();
            if (!evenIfEmpty && view.activeRecords() == 0) {
                return null;
            }
            long covered = nextLsn - 1;
            long nextSid = view.nextSid();
            long nextVersion = view.nextVersion();
            Overlay frozen = view.freeze();
            Frame marker = Frame.encode(List.of(new CheckpointBegin(covered, newIndex)), nextLsn);
            submit(marker, roll);
            nextLsn++;
            return new Cut(covered, marker, frozen, nextSid, nextVersion);
        } finally {
            writer.unlock();
        }
    }

    /** Appends one record (a checkpoint marker) and waits until it is durable. */
    void appendMarker(JournalRecord record) {
        long lsn;
        writer.lock();
        try {
            ensureNotFailed();
            lsn = nextLsn;
            submit(Frame.encode(List.of(record), lsn), false);
            nextLsn++;
        } finally {
            writer.unlock();
        }
        awaitDurable(lsn);
    }

    void awaitMarker(Frame marker) {
        awaitDurable(marker.lastLsn());
    }

    // ---- failure and lifecycle ----

    void ensureUsable() {
        if (closed) {
            throw new IllegalStateException("The storage " + name + " is closed");
        }
        ensureNotFailed();
    }

    /** Maintenance's check, also while closing. */
    void ensureNotFailed() {
        StorageException f = failure;
        if (f == null && journal != null) {
            StorageException w = journal.failure();
            if (w != null) {
                f = fail("Writing the journal failed", w);
            }
        }
        if (f != null) {
            throw new StorageException("The storage " + name + " failed earlier (" + f.getMessage()
                    + ") and accepts no more calls; reopen it to recover from its journal", f);
        }
    }

    boolean failed() {
        return failure != null;
    }

    /** Puts the store in the failed state (once, logged) and returns the exception to throw. */
    StorageException fail(String what, RuntimeException e) {
        StorageException se = e instanceof StorageException s ? s : new StorageException(what + " on " + name + ": "
                + IoFailures.reason(e), e);
        synchronized (this) {
            if (failure == null) {
                failure = se;
                log.error("{} on {}; the storage stops accepting calls, reopen it to recover from the journal", what,
                        name, e);
            }
        }
        return se;
    }

    /**
     * Closes the store: waits for calls in progress, stops background maintenance, purges deleted content still
     * pending, checkpoints, and releases the files. Runs its file work on the store's own thread. Idempotent.
     */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        IoThread.run("close " + name, () -> {
            Lock gate = lifecycle.writeLock();
            gate.lock();
            try {
                if (maintenance != null) {
                    maintenance.shutdown();
                    if (failure == null) {
                        try {
                            maintenance.beforeClose();
                        } catch (RuntimeException e) {
                            log.error("Could not finish {} cleanly; the journal has every acknowledged write and the "
                                    + "next open recovers from it", name, e);
                        }
                    }
                }
                Index index = view.detach();
                if (journal != null) {
                    journal.close();
                }
                if (index != null) {
                    try {
                        index.close();
                    } catch (RuntimeException e) {
                        log.warn("Closing the index of {} failed", name, e);
                    }
                }
            } finally {
                release.run();
                gate.unlock();
            }
        });
    }

    /** Whether close() began: maintenance stops early. */
    boolean closing() {
        return closed;
    }
}
