package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.storage.mapdb.JournalRecord.CheckpointEnd;
import dev.agnomemory.core.storage.mapdb.JournalRecord.Counters;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.mapdb.volume.VolumeFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Background maintenance of a store with files: checkpoints, purges (compaction) and index rebuilds, and the policy
 * of when they run.
 *
 * <p>Policy:
 * <ul>
 *   <li><b>Checkpoint</b> when the changes held in memory reach {@code checkpointEvery} journal records, on
 *       {@link MapDbStorage#checkpoint()}, and at close: the changes are written into the index in small batches
 *       and committed; writers are not held up (their single-key lookups go on while the batches are applied,
 *       and wait only for MapDB's commit; reads of several keys wait for each batch).</li>
 *   <li><b>Run id filter.</b> A checkpoint first builds the index's {@link RunIdFilter} when the index has none
 *       (after the open, a rebuild or a compaction) or has outgrown it, so that writers starting runs with new ids
 *       neither look them up in the index nor wait for a commit. A failure to build it is logged once per index;
 *       lookups then go to the index, and the store goes on.</li>
 *   <li><b>Purge</b> (compaction) within {@code purgeDelay} of a write that removes content (deletes within the
 *       delay share one), when records that replaced older values make up at least half of what was written since
 *       the last compaction (and at least {@value #SUPERSEDED_MIN} bytes), on {@link MapDbStorage#compact()}, at close
 *       when a purge is pending, and at open when the process stopped before one ran.</li>
 *   <li>A compaction cuts the journal (new writes go to a new segment), rewrites the segments before the cut
 *       without dead records into one snapshot segment, and builds a new index from it, all beside the live files
 *       while writers go on; then the snapshot replaces the old segments (the commit point: one rename) and the new
 *       index, opened by then, the old one. Writers wait only for the cut, and calls that need the index for the
 *       swap of references. The replaced files are closed after the swap (closing a deleted file frees its blocks). Memory
 *       use: ids, and each run's places encoded ({@link IndexBuild}); memories go into the new index as they are
 *       read.</li>
 *   <li>One maintenance operation at a time. Failures of checkpoints leave the store failed (the index may be half
 *       written); a failed compaction leaves the store as it was, is logged, and is tried again later.</li>
 * </ul>
 */
final class Maintenance {

    private static final Logger log = LoggerFactory.getLogger(Maintenance.class);
    private static final SecureRandom SALTS = new SecureRandom();
    /** Index changes per hold of the index write lock during a checkpoint. */
    private static final int BATCH = 256;
    static final long SUPERSEDED_MIN = 8L << 20;

    private final Engine engine;
    private final StateView view;
    private final Journal journal;
    private final StoreFiles files;
    private final VolumeFactory volumes;
    private final Scheduler scheduler;
    private final int checkpointEvery;
    private final Duration purgeDelay;
    private final java.util.concurrent.locks.ReentrantLock running = new java.util.concurrent.locks.ReentrantLock();
    /** Told each step of a checkpoint or compaction as it completes (fault injection in tests). */
    private final Consumer<String> stages;

    // policy state, guarded by this
    private boolean checkpointQueued;
    private Scheduler.Task purgeTask;
    private boolean purgePending;
    private long writtenSinceCompaction;
    private long supersededSinceCompaction;
    private boolean shutDown;
    /** The index whose run id filter could not be built, so no checkpoint tries again; maintenance thread only. */
    private Index filterFailedFor;

    Maintenance(Engine engine, StoreFiles files, VolumeFactory volumes, Scheduler scheduler, int checkpointEvery,
            Duration purgeDelay, Consumer<String> stages) {
        this.stages = stages;
        this.engine = engine;
        this.view = engine.view();
        this.journal = engine.journal();
        this.files = files;
        this.volumes = volumes;
        this.scheduler = scheduler;
        this.checkpointEvery = checkpointEvery;
        this.purgeDelay = purgeDelay;
    }

    /** After the open: a purge the last process did not finish, and a checkpoint when much was replayed. */
    void start(boolean purgeLeftOver) {
        if (purgeLeftOver) {
            log.info("Store {} has deleted content not yet purged from its files; purging now", files.index());
            synchronized (this) {
                purgePending = true;
                purgeTask = scheduler.schedule(this::scheduledPurge, Duration.ZERO);
            }
        }
        maybeCheckpoint();
    }

    /** The policy's view of each write. */
    void afterWrite(Overlay delta) {
        synchronized (this) {
            if (shutDown) {
                return;
            }
            writtenSinceCompaction += delta.bytes();
            supersededSinceCompaction += delta.supersededBytes();
            if (delta.removesContent()) {
                purgePending = true;
                if (purgeTask == null) {
                    purgeTask = scheduler.schedule(this::scheduledPurge, purgeDelay);
                }
            } else if (purgeTask == null && supersededSinceCompaction >= SUPERSEDED_MIN
                    && supersededSinceCompaction * 2 >= writtenSinceCompaction) {
                purgeTask = scheduler.schedule(this::scheduledPurge, Duration.ZERO);
            }
        }
        maybeCheckpoint();
    }

    private void maybeCheckpoint() {
        if (view.activeRecords() < checkpointEvery) {
            return;
        }
        synchronized (this) {
            if (checkpointQueued || shutDown) {
                return;
            }
            checkpointQueued = true;
        }
        scheduler.schedule(() -> {
            synchronized (this) {
                checkpointQueued = false;
            }
            background("checkpoint", this::checkpoint);
        }, Duration.ZERO);
    }

    private void scheduledPurge() {
        synchronized (this) {
            purgeTask = null;
        }
        background("purge", () -> {
            boolean due;
            synchronized (this) {
                due = purgePending || (supersededSinceCompaction >= SUPERSEDED_MIN
                        && supersededSinceCompaction * 2 >= writtenSinceCompaction);
            }
            if (due) {
                compact();
            }
        });
    }

    private void background(String what, Runnable task) {
        if (engine.failed()) {
            return;
        }
        try {
            task.run();
        } catch (RuntimeException e) {
            if (!engine.failed()) {
                log.error("Background {} of {} failed; it will be tried again", what, files.index(), e);
            }
        }
    }

    synchronized boolean purgePending() {
        return purgePending;
    }

    // ---- checkpoint ----

    /** Writes the changes held in memory into the index and commits it. */
    void checkpoint() {
        running.lock();
        try {
            refreshRunIdFilter();
            Engine.Cut cut = engine.cut(false, false, false);
            if (cut == null) {
                return;
            }
            engine.awaitMarker(cut.marker());
            List<Consumer<Index>> changes = cut.frozen().indexChanges();
            try {
                for (int from = 0; from < changes.size(); from += BATCH) {
                    int start = from;
                    view.applyingToIndex(() -> {
                        Index index = view.index();
                        for (int i = start; i < Math.min(changes.size(), start + BATCH); i++) {
                            changes.get(i).accept(index);
                        }
                        stages.accept("checkpoint: batch applied, lock held");
                        return null;
                    });
                }
                stages.accept("checkpoint: changes applied");
                IndexMeta meta = meta(journal.generation(), cut, purgePending());
                view.writingIndex(() -> {
                    stages.accept("checkpoint: committing, lookups held");
                    view.index().setMeta(meta);
                    view.index().commit();
                    return null;
                });
            } catch (RuntimeException e) {
                throw engine.fail("Checkpoint failed", e);
            }
            stages.accept("checkpoint: committed");
            engine.appendMarker(new CheckpointEnd(cut.coveredLsn()));
            view.frozenApplied(cut.nextSid(), cut.nextVersion());
        } finally {
            running.unlock();
        }
    }

    /**
     * Builds the index's run id filter when it has none (after the open, a rebuild or a compaction) or has outgrown
     * it. Here, at the start of a checkpoint, because nothing else writes the index meanwhile and the checkpoint's
     * own run ids then go into the filter as they go into the index. Only a shortcut for lookups: when it cannot be
     * built, run ids are looked up in the index as before, and the store goes on.
     */
    private void refreshRunIdFilter() {
        Index index = view.index();
        if (index == null || engine.closing() || index == filterFailedFor || !index.runIdFilterWanted()) {
            return;
        }
        long started = System.nanoTime();
        try {
            if (index.buildRunIdFilter(engine::closing)) {
                log.debug("Store {}: built the run id filter in {} ms", files.index(),
                        (System.nanoTime() - started) / 1_000_000);
            }
        } catch (RuntimeException e) {
            filterFailedFor = index;
            log.warn("Store {}: could not build the run id filter; new run ids are looked up in the index instead",
                    files.index(), e);
        }
    }

    private IndexMeta meta(long generation, Engine.Cut cut, boolean pending) {
        Frame m = cut.marker();
        return new IndexMeta(Index.FORMAT_VERSION, journal.storeId(), generation, cut.coveredLsn(), m.segment(),
                m.offset(), m.crc(), cut.nextSid(), cut.nextVersion(), pending);
    }

    // ---- compaction ----

    /** Purges deleted content and old versions from every file; see the class comment. */
    void compact() {
        running.lock();
        try {
            boolean wasPending;
            synchronized (this) {
                wasPending = purgePending;
                purgePending = false;
                writtenSinceCompaction = 0;
                supersededSinceCompaction = 0;
            }
            try {
                compactOnce();
            } catch (RuntimeException e) {
                synchronized (this) {
                    purgePending |= wasPending;
                }
                throw e;
            }
        } finally {
            running.unlock();
        }
    }

    private void compactOnce() {
        long started = System.nanoTime();
        journal.reserveNextSegment();
        Engine.Cut cut = engine.cut(true, true, true);
        engine.awaitMarker(cut.marker());
        stages.accept("compaction: cut");
        long last = cut.marker().segment() - 1;
        List<Segment> old = new ArrayList<>(journal.segments().headMap(last, true).values());
        long generation = journal.generation() + 1;
        Liveness live = new Liveness();
        long[] ordinal = {0};
        forEachRecord(old, (lsn, record, where) -> record.note(live, ordinal[0]++));
        SegmentHeader header = new SegmentHeader(SegmentHeader.Kind.SNAPSHOT, journal.storeId(), generation, last,
                cut.coveredLsn(), SALTS.nextInt(), 0, 0);
        long kept;
        try (SnapshotWriter snapshot = new SnapshotWriter(files.segment(last), header);
                IndexBuild build = new IndexBuild(files.compactIndex(), files.index(), volumes)) {
            ordinal[0] = 0;
            forEachRecord(old, (lsn, record, where) -> {
                JournalRecord survivor = record.survivor(live, ordinal[0]++);
                if (survivor != null) {
                    build.apply(survivor, snapshot.add(survivor));
                }
            });
            Counters counters = new Counters(cut.nextSid(), cut.nextVersion());
            build.apply(counters, snapshot.add(counters));
            snapshot.finish();
            stages.accept("compaction: snapshot written");
            build.finish(meta(generation, cut, false));
            stages.accept("compaction: index built");
            kept = snapshot.records();
            engine.appendMarker(new CheckpointEnd(cut.coveredLsn()));
            stages.accept("compaction: end marker written");
            snapshot.commit();
            stages.accept("compaction: snapshot committed");
        }
        try {
            for (Segment s : old) {
                if (s.number() != last) {
                    Files.deleteIfExists(s.path());
                }
            }
            StoreFiles.syncDirectory(files.index());
            stages.accept("compaction: old segments deleted");
            StoreFiles.replaceIndexFile(files.compactIndex(), files.index());
            stages.accept("compaction: index renamed");
        } catch (IOException e) {
            throw engine.fail("Compaction could not put the new index in place; reopen the store to recover",
                    IoFailures.storage("Cannot replace", files.index(), e));
        }
        Segment snapshotSegment = Segment.open(files.segment(last), last);
        List<Segment> replaced = new ArrayList<>();
        replaceIndex(() -> {
            replaced.addAll(journal.replaceUpTo(snapshotSegment));
            journal.generationAdvanced(generation);
        }, last, cut);
        replaced.forEach(Segment::close);
        log.info("Compacted {} in {} ms: deleted content and old versions purged; the journal now starts with a "
                + "snapshot of {} record{} (generation {})", files.index(), (System.nanoTime() - started) / 1_000_000,
                kept, kept == 1 ? "" : "s", generation);
    }

    // ---- index rebuild ----

    /** Builds the index anew from the journal and puts it in place of the live one (a damaged index). */
    void rebuildIndex(String reason) {
        running.lock();
        try {
            journal.reserveNextSegment();
            Engine.Cut cut = engine.cut(true, true, true);
            engine.awaitMarker(cut.marker());
            List<Segment> segments = new ArrayList<>(journal.segments().headMap(cut.marker().segment(), false)
                    .values());
            try (IndexBuild build = new IndexBuild(files.rebuildIndex(), files.index(), volumes)) {
                forEachRecord(segments, (lsn, record, where) -> build.apply(record, where));
                build.finish(meta(journal.generation(), cut, purgePending()));
            }
            engine.appendMarker(new CheckpointEnd(cut.coveredLsn()));
            try {
                StoreFiles.replaceIndexFile(files.rebuildIndex(), files.index());
            } catch (IOException e) {
                throw engine.fail("Could not put the rebuilt index in place",
                        IoFailures.storage("Cannot replace", files.index(), e));
            }
            replaceIndex(null, -1, cut);
            log.warn("Store {}: rebuilt the index from the journal ({}); the journal holds every record up to {}",
                    files.index(), reason, cut.coveredLsn());
        } finally {
            running.unlock();
        }
    }

    /**
     * Opens the index file now in place and swaps it in for the old one (and the journal's segments), then closes the
     * old one. The old index is closed after the swap: it is a deleted file by now (closing it frees its blocks) and
     * nothing writes it since the cut, so its MapDB log files, deleted here, and its page sums are not touched again.
     */
    private void replaceIndex(Runnable swapJournal, long replacedUpTo, Engine.Cut cut) {
        try {
            StoreFiles.deleteWalFiles(files.index());
            Index fresh = Index.openFile(files.index(), files.index(), volumes);
            Index old = view.replaceIndex(fresh, swapJournal, replacedUpTo, cut.nextSid(), cut.nextVersion());
            stages.accept("index swapped");
            if (old != null) {
                old.close();
            }
        } catch (IOException e) {
            throw engine.fail("Could not open the new index; reopen the store to recover",
                    IoFailures.storage("Cannot remove MapDB log files of", files.index(), e));
        } catch (RuntimeException e) {
            throw engine.fail("Could not open the new index; reopen the store to recover", e);
        }
    }

    /** Reads every record of complete segments, in order. */
    private void forEachRecord(List<Segment> segments, SegmentScanner.Visitor visitor) {
        for (Segment s : segments) {
            try (RandomAccessFile file = new RandomAccessFile(s.path().toFile(), "r")) {
                SegmentHeader h = s.header();
                long first = h.isSnapshot() ? 1 : h.startLsn();
                new SegmentScanner(s.path(), file, h).scan(SegmentHeader.SIZE, first, h.salt(), false, Long.MAX_VALUE,
                        visitor);
            } catch (IOException e) {
                throw IoFailures.storage("Cannot read journal segment", s.path(), e);
            }
        }
    }

    // ---- lifecycle ----

    /** Runs no more scheduled work; waits for work in progress. */
    void shutdown() {
        synchronized (this) {
            shutDown = true;
            if (purgeTask != null) {
                purgeTask.cancel();
                purgeTask = null;
            }
        }
        scheduler.shutdown();
    }

    /** At close: the pending purge, then a checkpoint, so the next open reads little of the journal. */
    void beforeClose() {
        if (purgePending()) {
            compact();
        }
        checkpoint();
    }
}
