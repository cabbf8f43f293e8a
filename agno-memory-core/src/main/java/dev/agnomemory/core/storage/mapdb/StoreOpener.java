package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.storage.StorageException;
import dev.agnomemory.core.storage.StoreFormatException;
import dev.agnomemory.core.storage.mapdb.Index.IndexDamagedException;
import dev.agnomemory.core.storage.mapdb.JournalRecord.CheckpointBegin;
import dev.agnomemory.core.storage.mapdb.JournalRecord.CheckpointEnd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.mapdb.volume.VolumeFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a store: creates it, migrates a format-1 journal, or checks the journal against the index and either
 * continues from the index's checkpoint or rebuilds the index. The rules, in order:
 * <ul>
 *   <li>Nothing is read or changed before the lock file and the active journal segment are locked
 *       ({@link StoreLockedException} otherwise, also when MapDB finds its index file held).</li>
 *   <li>No journal and no index: a new store. An index without a journal: refused, the file untouched.</li>
 *   <li>Every segment must belong to the same store (id in its header); a snapshot segment replaces the segments
 *       numbered below it (left over when a compaction stopped after its commit point: deleted).</li>
 *   <li>An index of another store, or of a later journal generation than the journal's (the journal was replaced
 *       by an older copy): refused, both files untouched. Of an earlier generation (a compaction stopped between its
 *       two renames): rebuilt.</li>
 *   <li>An index of this generation is trusted when the journal still holds the frame of its checkpoint's begin
 *       marker (same place, same checksum), its end marker follows, and no later checkpoint of the live index was
 *       cut off (its commit may have left MapDB's file half written). Then only the journal after that marker is
 *       read, and its records become the in-memory layer: the open reads what was written since the last
 *       checkpoint, not the store's history. A journal that ends before the index's checkpoint is refused: the
 *       index would know more than the journal.</li>
 *   <li>Otherwise the whole journal is checked and the index rebuilt from it into a file beside the old one, which
 *       is replaced only when the new one is complete.</li>
 *   <li>The tail of the journal follows {@link SegmentScanner}'s rules: a torn last write is zeroed and logged;
 *       damage is refused with nothing changed.</li>
 * </ul>
 */
final class StoreOpener {

    private static final Logger log = LoggerFactory.getLogger(StoreOpener.class);
    private static final SecureRandom SALTS = new SecureRandom();

    /** What an open produced. */
    record Opened(StateView view, Journal journal, long nextLsn, boolean purgeLeftOver) {
    }

    private final StoreFiles files;
    private final VolumeFactory volumes;
    private final boolean createIfMissing;
    private final long maxSegmentBytes;
    private final long runCacheBytes;

    StoreOpener(StoreFiles files, VolumeFactory volumes, boolean createIfMissing, long maxSegmentBytes,
            long runCacheBytes) {
        this.files = files;
        this.volumes = volumes;
        this.createIfMissing = createIfMissing;
        this.maxSegmentBytes = maxSegmentBytes;
        this.runCacheBytes = runCacheBytes;
    }

    // ---- open for writing ----

    /** Opens for writing; the caller holds the store's lock file. */
    Opened open() {
        deleteLeftovers();
        List<Long> numbers = files.segmentNumbers();
        if (Files.exists(files.legacyJournal())) {
            if (numbers.isEmpty()) {
                FormatOneMigration.migrate(files, volumes);
                numbers = files.segmentNumbers();
            } else {
                FormatOneMigration.finishInterrupted(files, numbers);
            }
        }
        if (numbers.isEmpty()) {
            if (Files.exists(files.index())) {
                throw withoutJournal();
            }
            if (!createIfMissing) {
                throw noStore();
            }
            return create();
        }
        Segments segments = Segments.open(files, numbers, true);
        Journal journal = new Journal(files, segments.storeId, segments.generation, segments.list);
        LogWriter writer = null;
        Index index = null;
        boolean done = false;
        try {
            long last = segments.last().number();
            if (segments.last().header().isSnapshot()) {
                last = startLogSegmentAfter(segments.last());
                journal.segmentStarted(last);
            }
            writer = LogWriter.open(files, segments.storeId, segments.generation, maxSegmentBytes,
                    journal::segmentStarted, last);
            journal.attach(writer);
            IndexCheck check = checkIndex(journal);
            index = check.index;
            Opened opened = check.trusted() ? continueFrom(check, journal, writer)
                    : rebuild(journal, writer, check, "the index cannot be used (" + check.distrust + ")");
            index = null;
            done = true;
            return opened;
        } finally {
            if (!done) {
                if (index != null) {
                    index.close();
                }
                if (writer != null) {
                    writer.abandon();
                }
                journal.segments().values().forEach(Segment::close);
            }
        }
    }

    /** The file exists, its journal does not: not a store, or one whose journal was lost. Refused, untouched. */
    private StoreFormatException withoutJournal() {
        return new StoreFormatException(files.index(), StoreFiles.looksLikeMapDb(files.index())
                ? "is a MapDB file but its journal (" + files.segment(1).getFileName() + " and the segments after it) "
                        + "is missing. An agno-memory store is the file and its journal together; restore both. The "
                        + "file was not changed."
                : "is not an agno-memory store (unknown file header); it was not changed.");
    }

    private StorageException noStore() {
        return new StorageException("There is no store at " + files.index() + " (neither the file nor its journal "
                + files.segment(1).getFileName() + " exists)");
    }

    private Opened create() {
        StoreId id = StoreId.random();
        try {
            StoreFiles.deleteMapDbFiles(files.index());
        } catch (IOException e) {
            throw IoFailures.storage("Cannot prepare", files.index(), e);
        }
        Segment.create(files.segment(1), new SegmentHeader(SegmentHeader.Kind.LOG, id, 1, 1, 1, SALTS.nextInt(), 0, 0),
                256 * 1024);
        Segments segments = Segments.open(files, List.of(1L), true);
        Journal journal = new Journal(files, id, 1, segments.list);
        LogWriter writer = null;
        boolean done = false;
        try {
            writer = LogWriter.open(files, id, 1, maxSegmentBytes, journal::segmentStarted, 1);
            journal.attach(writer);
            Opened opened = rebuild(journal, writer, new IndexCheck(null, null, "new store", -1), null);
            log.info("Created store {} (id {})", files.index(), id);
            done = true;
            return opened;
        } finally {
            if (!done) {
                if (writer != null) {
                    writer.abandon();
                }
                journal.segments().values().forEach(Segment::close);
            }
        }
    }

    /** Starts a log segment after a snapshot that ended the journal (a migration or compaction that stopped). */
    private long startLogSegmentAfter(Segment snapshot) {
        long n = snapshot.number() + 1;
        SegmentHeader h = snapshot.header();
        Segment.create(files.segment(n), new SegmentHeader(SegmentHeader.Kind.LOG, h.storeId(), h.generation(), n,
                h.nextLsnAfterSnapshot(), SALTS.nextInt(), 0, 0), 256 * 1024);
        return n;
    }

    /** What the index file is worth. */
    private record IndexCheck(Index index, IndexMeta meta, String distrust, long knownDurable) {
        boolean trusted() {
            return distrust == null;
        }
    }

    private IndexCheck checkIndex(Journal journal) {
        if (!Files.exists(files.index())) {
            return new IndexCheck(null, null, "the file is missing", -1);
        }
        if (!StoreFiles.looksLikeMapDb(files.index())) {
            return new IndexCheck(null, null, "the file does not start with a MapDB header", -1);
        }
        try {
            StoreFiles.deleteWalFiles(files.index());
        } catch (IOException e) {
            throw IoFailures.storage("Cannot remove MapDB log files of", files.index(), e);
        }
        Index index;
        try {
            index = Index.openFile(files.index(), files.index(), volumes);
        } catch (IndexDamagedException e) {
            return new IndexCheck(null, null, e.getMessage(), -1);
        }
        try {
            IndexMeta meta;
            try {
                meta = index.meta();
                index.verifyReadable();
            } catch (IndexDamagedException e) {
                return new IndexCheck(index, null, e.getMessage(), -1);
            }
            if (meta == null) {
                return new IndexCheck(index, null, "it has no record of its store and checkpoint (an index of an "
                        + "older format, or not finished)", -1);
            }
            if (!meta.storeId().equals(journal.storeId())) {
                throw new StoreFormatException(files.index(), "the index belongs to another store (id "
                        + meta.storeId() + ") than its journal (store " + journal.storeId() + "); refusing to open "
                        + "rather than serve another store's data or rebuild over it. Nothing was changed.");
            }
            if (meta.format() != Index.FORMAT_VERSION) {
                return new IndexCheck(index, meta, "index format " + meta.format() + ", this version writes "
                        + Index.FORMAT_VERSION, -1);
            }
            if (meta.generation() > journal.generation()) {
                throw new StoreFormatException(journal.segments().firstEntry().getValue().path(), "the index is of "
                        + "journal generation " + meta.generation() + " (record " + meta.coveredLsn() + "), but the "
                        + "journal is of generation " + journal.generation() + ": the journal is older than the "
                        + "index (replaced by an older copy?). Refusing to open. Nothing was changed.");
            }
            if (meta.generation() < journal.generation()) {
                return new IndexCheck(index, meta, "it was built from journal generation " + meta.generation()
                        + ", the journal is of generation " + journal.generation(), -1);
            }
            return new IndexCheck(index, meta, null, meta.coveredLsn() + 1);
        } catch (RuntimeException e) {
            index.close();
            throw e;
        }
    }

    /** The trusted path: reads the journal from the index's checkpoint on. */
    private Opened continueFrom(IndexCheck check, Journal journal, LogWriter writer) {
        IndexMeta meta = check.meta();
        Segment begin = journal.segments().get(meta.beginSegment());
        if (begin == null || begin.header().isSnapshot()) {
            throw knowsMore(meta, "segment " + meta.beginSegment() + " is not in the journal: " + describeEnd(journal));
        }
        SegmentScanner beginScan = new SegmentScanner(begin.path(), begin.file(), begin.header());
        Integer crc = beginScan.intactFrameCrc(meta.beginOffset());
        if (crc == null || crc != meta.beginCrc()) {
            throw knowsMore(meta, "the journal holds no such frame there: " + describeEnd(journal));
        }
        Tail tail = new Tail(meta.coveredLsn());
        SegmentScanner.End end = scanFrom(journal, begin, meta.beginOffset(), meta.coveredLsn() + 1, null,
                check.knownDurable(), tail);
        if (!(tail.firstRecord instanceof CheckpointBegin b) || b.coveredLsn() != meta.coveredLsn()) {
            throw knowsMore(meta, "the frame there is not the checkpoint's begin marker");
        }
        String distrust = tail.distrust();
        if (distrust != null) {
            return rebuild(journal, writer, new IndexCheck(check.index(), meta, distrust, check.knownDurable()),
                    "the index cannot be used (" + distrust + ")");
        }
        writer.resumeAt(end.endOffset(), end.tornBytes(), end.lastCrc(), end.nextLsn());
        logTorn(journal, end);
        writer.start(files.index().getFileName().toString());
        StateView view = new StateView(new Overlay(true), check.index(), journal, meta.nextSid(), meta.nextVersion(),
                runCacheBytes);
        boolean removes = false;
        int replayed = 0;
        for (Map.Entry<Long, Replayed> e : tail.records.entrySet()) {
            Overlay delta = new Overlay(true);
            Replayed r = e.getValue();
            r.record().apply(view.mutation(delta), r.where());
            delta.counted(r.record(), r.where().length());
            view.install(delta);
            removes |= r.record().removesContent();
            if (!(r.record() instanceof CheckpointBegin) && !(r.record() instanceof CheckpointEnd)) {
                replayed++;
            }
        }
        if (replayed > 0) {
            log.info("Store {}: read {} journal records written after the last checkpoint", files.index(), replayed);
        }
        return new Opened(view, journal, end.nextLsn(), meta.purgePending() || removes);
    }

    private record Replayed(JournalRecord record, Pointer where) {
    }

    /** The records after the index's checkpoint, and what the checkpoint markers among them say. */
    private static final class Tail implements SegmentScanner.Visitor {
        private final long covered;
        final TreeMap<Long, Replayed> records = new TreeMap<>();
        JournalRecord firstRecord;
        boolean endSeen;
        long openFlushBegin = -1;

        Tail(long covered) {
            this.covered = covered;
        }

        @Override
        public void visit(long lsn, JournalRecord record, Pointer where) {
            if (firstRecord == null) {
                firstRecord = record;
                return;
            }
            if (record instanceof CheckpointEnd e) {
                if (e.coveredLsn() == covered) {
                    endSeen = true;
                }
                if (e.coveredLsn() == openFlushBegin) {
                    openFlushBegin = -1;
                }
            } else if (record instanceof CheckpointBegin b && !b.newIndex()) {
                openFlushBegin = b.coveredLsn();
            }
            records.put(lsn, new Replayed(record, where));
        }

        String distrust() {
            if (!endSeen) {
                return "the process stopped inside the checkpoint it was made at, which can leave MapDB's file half "
                        + "written";
            }
            if (openFlushBegin >= 0) {
                return "the process stopped inside a later checkpoint, which can leave MapDB's file half written";
            }
            return null;
        }
    }

    private StoreFormatException knowsMore(IndexMeta meta, String why) {
        return new StoreFormatException(files.segment(meta.beginSegment()), "the index has applied the journal up "
                + "to record " + meta.coveredLsn() + " (checkpoint at offset " + meta.beginOffset() + " of segment "
                + meta.beginSegment() + "), but " + why + ". The journal was truncated, overwritten or replaced by an "
                + "older copy; refusing to open rather than lose what the index knows. Nothing was changed.");
    }

    /**
     * Where the journal ends, in words, for a refusal: reads it without its checkpoint (so only when refusing) and
     * stops at the first frame that does not check out.
     */
    private String describeEnd(Journal journal) {
        long lsn = -1;
        Segment last = null;
        long offset = SegmentHeader.SIZE;
        for (Segment s : journal.segments().values()) {
            SegmentHeader h = s.header();
            long first = h.isSnapshot() ? 1 : h.startLsn();
            try {
                SegmentScanner.End end = new SegmentScanner(s.path(), s.file(), h).scan(SegmentHeader.SIZE, first,
                        h.salt(), true, -1, (l, r, w) -> { });
                lsn = h.isSnapshot() ? h.startLsn() : end.nextLsn() - 1;
                offset = end.endOffset();
            } catch (RuntimeException e) {
                return "the journal is unreadable in " + s.path().getFileName() + " (" + e.getMessage() + ")";
            }
            last = s;
        }
        return "the journal ends at record " + lsn + " (offset " + offset + " of " + last.path().getFileName() + ")";
    }

    /**
     * Scans from {@code start} at {@code offset} to the end of the journal.
     *
     * @param previousCrc the CRC the first frame chains to, or null to accept it
     */
    private SegmentScanner.End scanFrom(Journal journal, Segment start, long offset, long expectedLsn,
            Integer previousCrc, long knownDurable, SegmentScanner.Visitor visitor) {
        SegmentScanner.End end = null;
        long lsn = expectedLsn;
        boolean first = true;
        Segment lastSegment = journal.segments().lastEntry().getValue();
        for (Segment s : journal.segments().tailMap(start.number(), true).values()) {
            SegmentHeader h = s.header();
            if (!first && h.startLsn() != lsn) {
                throw new StoreFormatException(s.path(), "journal segment starts at record " + h.startLsn()
                        + ", but the segment before it ends before record " + lsn + "; refusing to open. Nothing was "
                        + "changed.");
            }
            SegmentScanner scanner = new SegmentScanner(s.path(), s.file(), h);
            end = scanner.scan(first ? offset : SegmentHeader.SIZE, lsn, first ? previousCrc : Integer.valueOf(h.salt()),
                    s == lastSegment, knownDurable, visitor);
            lsn = end.nextLsn();
            first = false;
        }
        return end;
    }

    /** Checks the whole journal, building a new index from it, and puts the index in place. */
    private Opened rebuild(Journal journal, LogWriter writer, IndexCheck check, String why) {
        long started = System.nanoTime();
        if (check.index() != null) {
            check.index().close();
        }
        if (why != null) {
            log.warn("Store {}: {}; rebuilding it from the journal", files.index(), why);
        }
        SegmentScanner.End end;
        IndexBuild build = new IndexBuild(files.rebuildIndex(), files.index(), volumes);
        try {
            long lsn = -1;
            end = null;
            Segment lastSegment = journal.segments().lastEntry().getValue();
            for (Segment s : journal.segments().values()) {
                SegmentHeader h = s.header();
                long first;
                if (h.isSnapshot()) {
                    first = 1;
                } else {
                    if (lsn >= 0 && h.startLsn() != lsn) {
                        throw new StoreFormatException(s.path(), "journal segment starts at record " + h.startLsn()
                                + ", but the segment before it ends before record " + lsn + "; refusing to open. "
                                + "Nothing was changed.");
                    }
                    first = h.startLsn();
                }
                SegmentScanner scanner = new SegmentScanner(s.path(), s.file(), h);
                end = scanner.scan(SegmentHeader.SIZE, first, h.salt(), s == lastSegment, check.knownDurable(),
                        (l, record, where) -> build.apply(record, where));
                lsn = h.isSnapshot() ? h.nextLsnAfterSnapshot() : end.nextLsn();
            }
            long covered = end.nextLsn() - 1;
            if (check.meta() != null && check.meta().storeId().equals(journal.storeId())
                    && check.meta().generation() == journal.generation() && covered < check.meta().coveredLsn()) {
                throw new StoreFormatException(lastSegment.path(), "the index has applied the journal up to record "
                        + check.meta().coveredLsn() + ", but the journal ends at record " + covered + ". The journal "
                        + "was truncated or replaced by an older copy; refusing to open rather than lose what the "
                        + "index knows. Nothing was changed.");
            }
            writer.resumeAt(end.endOffset(), end.tornBytes(), end.lastCrc(), end.nextLsn());
            logTorn(journal, end);
            writer.start(files.index().getFileName().toString());
            long next = end.nextLsn();
            Frame begin = Frame.encode(List.of(new CheckpointBegin(covered, true)), next);
            writer.submit(begin, false);
            writer.awaitDurable(begin.lastLsn());
            long purge = check.meta() != null && check.meta().purgePending() ? 1 : 0;
            build.finish(new IndexMeta(Index.FORMAT_VERSION, journal.storeId(), journal.generation(), covered,
                    begin.segment(), begin.offset(), begin.crc(), build.nextSid(), build.nextVersion(), purge == 1));
            Frame endMarker = Frame.encode(List.of(new CheckpointEnd(covered)), next + 1);
            writer.submit(endMarker, false);
            writer.awaitDurable(endMarker.lastLsn());
            try {
                StoreFiles.deleteMapDbFiles(files.index());
                StoreFiles.replaceIndexFile(files.rebuildIndex(), files.index());
            } catch (IOException e) {
                throw IoFailures.storage("Cannot move the rebuilt index into place at", files.index(), e);
            }
            Index index = Index.openFile(files.index(), files.index(), volumes);
            StateView view = new StateView(new Overlay(true), index, journal, build.nextSid(), build.nextVersion(),
                    runCacheBytes);
            if (why != null) {
                log.warn("Store {}: rebuilt the index from the journal in {} ms ({} records, up to record {})",
                        files.index(), (System.nanoTime() - started) / 1_000_000, build.records(), covered);
            }
            return new Opened(view, journal, next + 2, purge == 1 || build.removedContent());
        } catch (RuntimeException e) {
            writer.close();
            throw e;
        } finally {
            build.close();
        }
    }

    private void logTorn(Journal journal, SegmentScanner.End end) {
        if (end.tornBytes() > 0) {
            log.warn("Journal {}: discarded {} bytes at offset {}, the last write, which is damaged and which no "
                    + "later record shows was made durable: most likely cut off by a crash before it was "
                    + "acknowledged", journal.segments().lastEntry().getValue().path(), end.tornBytes(),
                    end.endOffset());
        }
    }

    /** Files of a rebuild or compaction that never finished: never the truth, and they may hold deleted data. */
    private void deleteLeftovers() {
        try {
            for (Path p : files.leftovers()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw IoFailures.storage("Cannot remove leftover files of", files.index(), e);
        }
    }

    // ---- open read-only ----

    /**
     * Opens without writing anything: reads the whole journal (up to its last intact frame; a torn last write is
     * skipped, not discarded) into memory, keeping the places of messages, not their text. Takes no lock: another
     * process may be writing the store; this sees it as it was when opened.
     */
    Opened openReadOnly() {
        List<Long> numbers = files.segmentNumbers();
        if (numbers.isEmpty()) {
            if (Files.exists(files.legacyJournal())) {
                return FormatOneMigration.readInMemory(files, runCacheBytes);
            }
            if (Files.exists(files.index())) {
                throw withoutJournal();
            }
            throw noStore();
        }
        for (int attempt = 0; ; attempt++) {
            try {
                return readAll(files.segmentNumbers());
            } catch (SegmentsChanged e) {
                if (attempt == 4) {
                    throw new StorageException("The journal of " + files.index() + " kept changing while it was "
                            + "being opened read-only (the writing process compacted it meanwhile); try again", e);
                }
            }
        }
    }

    private Opened readAll(List<Long> numbers) {
        Segments segments = Segments.open(files, numbers, false);
        Journal journal = new Journal(files, segments.storeId, segments.generation, segments.list);
        try {
            Overlay store = new Overlay(false);
            RecordTarget target = store;
            long lsn = -1;
            SegmentScanner.End end = null;
            Segment lastSegment = segments.last();
            for (Segment s : segments.list) {
                SegmentHeader h = s.header();
                long first = h.isSnapshot() ? 1 : h.startLsn();
                if (!h.isSnapshot() && lsn >= 0 && h.startLsn() != lsn) {
                    throw new SegmentsChanged();
                }
                end = new SegmentScanner(s.path(), s.file(), h).scan(SegmentHeader.SIZE, first, h.salt(),
                        s == lastSegment, -1, (l, record, where) -> record.apply(target, where));
                lsn = h.isSnapshot() ? h.nextLsnAfterSnapshot() : end.nextLsn();
            }
            if (!segments.unchanged(files)) {
                throw new SegmentsChanged();
            }
            StateView view = new StateView(store, null, journal, store.maxSid() + 1, store.maxVersion() + 1,
                    runCacheBytes);
            return new Opened(view, journal, end.nextLsn(), false);
        } catch (RuntimeException e) {
            journal.segments().values().forEach(Segment::close);
            throw e;
        }
    }

    /** The segments changed under a read-only open (a compaction of the writing process): read them again. */
    private static final class SegmentsChanged extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SegmentsChanged() {
            super(null, null, false, false);
        }
    }

    /** The journal's segment files, opened and checked against each other. */
    private static final class Segments {
        final List<Segment> list;
        final StoreId storeId;
        final long generation;
        private final List<Object> keys;

        private Segments(List<Segment> list, List<Object> keys) {
            this.list = list;
            this.keys = keys;
            this.storeId = list.get(0).header().storeId();
            this.generation = list.get(0).header().generation();
        }

        Segment last() {
            return list.get(list.size() - 1);
        }

        /**
         * Opens the segments from the last snapshot on (segments before it were replaced by it: deleted when
         * {@code cleanUp}), and checks they are one store's, numbered without gaps.
         */
        static Segments open(StoreFiles files, List<Long> numbers, boolean cleanUp) {
            List<Segment> list = new ArrayList<>();
            List<Object> keys = new ArrayList<>();
            try {
                for (long n : numbers) {
                    Path p = files.segment(n);
                    Object keyBefore;
                    Segment s;
                    try {
                        keyBefore = fileKey(p);
                        s = Segment.open(p, n);
                    } catch (StorageException e) {
                        if (!cleanUp && !Files.exists(p)) {
                            throw new SegmentsChanged();
                        }
                        throw e;
                    }
                    list.add(s);
                    keys.add(keyBefore);
                    if (!cleanUp && !java.util.Objects.equals(keyBefore, fileKey(p))) {
                        throw new SegmentsChanged();
                    }
                }
                int firstKept = 0;
                for (int i = list.size() - 1; i >= 0; i--) {
                    if (list.get(i).header().isSnapshot()) {
                        firstKept = i;
                        break;
                    }
                }
                for (int i = 0; i < firstKept; i++) {
                    Segment replaced = list.get(i);
                    replaced.close();
                    if (cleanUp) {
                        log.info("Deleting journal segment {}: a compaction replaced it with {}",
                                replaced.path(), list.get(firstKept).path().getFileName());
                        Files.deleteIfExists(replaced.path());
                    }
                }
                List<Segment> kept = new ArrayList<>(list.subList(firstKept, list.size()));
                List<Object> keptKeys = new ArrayList<>(keys.subList(firstKept, keys.size()));
                list.clear();
                list.addAll(kept);
                StoreId id = kept.get(0).header().storeId();
                for (int i = 0; i < kept.size(); i++) {
                    Segment s = kept.get(i);
                    if (!s.header().storeId().equals(id)) {
                        throw new StoreFormatException(s.path(), "journal segment belongs to another store (id "
                                + s.header().storeId() + ") than " + kept.get(0).path().getFileName() + " (store "
                                + id + "); refusing to open. Nothing was changed.");
                    }
                    if (i > 0 && s.number() != kept.get(i - 1).number() + 1) {
                        throw new StoreFormatException(s.path(), "journal segment " + (kept.get(i - 1).number() + 1)
                                + " is missing; refusing to open. Nothing was changed.");
                    }
                    if (i > 0 && s.header().isSnapshot()) {
                        throw new StoreFormatException(s.path(), "unexpected snapshot segment in the middle of the "
                                + "journal; refusing to open. Nothing was changed.");
                    }
                }
                return new Segments(kept, keptKeys);
            } catch (IOException e) {
                list.forEach(Segment::close);
                throw IoFailures.storage("Cannot open the journal of", files.index(), e);
            } catch (RuntimeException e) {
                list.forEach(Segment::close);
                throw e;
            }
        }

        /** Whether the segment files are still the ones opened (nothing compacted meanwhile). */
        boolean unchanged(StoreFiles files) {
            for (int i = 0; i < list.size(); i++) {
                if (!java.util.Objects.equals(keys.get(i), fileKey(list.get(i).path()))) {
                    return false;
                }
            }
            return files.segmentNumbers().get(files.segmentNumbers().size() - 1) == last().number();
        }

        private static Object fileKey(Path p) {
            try {
                return Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            } catch (NoSuchFileException e) {
                return null;
            } catch (IOException e) {
                throw IoFailures.storage("Cannot inspect journal segment", p, e);
            }
        }
    }
}
