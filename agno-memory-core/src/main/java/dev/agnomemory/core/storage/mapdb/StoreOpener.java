package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.storage.StorageException;
import dev.agnomemory.core.storage.StoreFormatException;
import dev.agnomemory.core.storage.mapdb.JournalRecord.CheckpointBegin;
import dev.agnomemory.core.storage.mapdb.JournalRecord.CheckpointEnd;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mapdb.volume.VolumeFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a store: creates it, or checks the journal, decides whether the MapDB index can be trusted, and either
 * catches the index up from the journal or rebuilds it.
 *
 * <p>The index is trusted only when all of these hold; otherwise it is rebuilt from the journal:
 * <ul>
 *   <li>the journal's last checkpoint marker is an end marker (a begin marker without its end means the process
 *       stopped inside MapDB's commit, which can leave the file half written);</li>
 *   <li>MapDB opens the file and every map can be read;</li>
 *   <li>the index's format version, journal generation and applied record match the journal.</li>
 * </ul>
 */
final class StoreOpener {

    private static final Logger log = LoggerFactory.getLogger(StoreOpener.class);
    /** Records after the last checkpoint are kept from the scan for replay up to this size; beyond, re-read. */
    private static final long REPLAY_BUFFER_LIMIT = 64L << 20;

    record Opened(Index index, Journal journal, long committedLsn, boolean purgePending) {
    }

    private final StoreFiles files;
    private final VolumeFactory volumes;

    private final boolean createIfMissing;

    StoreOpener(StoreFiles files, VolumeFactory volumes, boolean createIfMissing) {
        this.files = files;
        this.volumes = volumes;
        this.createIfMissing = createIfMissing;
    }

    Opened open() {
        try {
            deleteLeftovers();
        } catch (IOException e) {
            throw new StorageException("Cannot remove leftover files of " + files.index() + ": " + e.getMessage(), e);
        }
        if (!Files.exists(files.journal())) {
            if (Files.exists(files.index())) {
                throw new StoreFormatException(files.index(), StoreFiles.looksLikeMapDb(files.index())
                        ? "is a MapDB file but its journal " + files.journal().getFileName() + " is missing. An "
                                + "agno-memory store is the file and its journal together; restore both. The file "
                                + "was not changed."
                        : "is not an agno-memory store (unknown file header); it was not changed.");
            }
            if (!createIfMissing) {
                throw new StorageException("There is no store at " + files.index() + " (neither the file nor its "
                        + "journal " + files.journal().getFileName() + " exists)");
            }
            return create();
        }
        JournalScan scan = new JournalScan();
        Journal.ScanResult result = Journal.scan(files.journal(), scan::visit);
        String distrust = scan.trustProblem();
        Index index = null;
        if (distrust == null) {
            try {
                index = openTrusted(result, scan.lastEnd);
            } catch (RuntimeException e) {
                distrust = "MapDB cannot read it (" + e + ")";
            }
        }
        Journal journal = Journal.openForAppend(files.journal(), result);
        try {
            long committed;
            if (distrust != null) {
                log.warn("Store {}: the index cannot be used ({}); rebuilding it from the journal {}. No "
                        + "acknowledged write is lost.", files.index(), distrust, files.journal());
                index = rebuild(journal);
                committed = journal.lastLsn();
            } else {
                committed = index.appliedLsn();
                try {
                    catchUp(index, scan);
                } catch (RuntimeException e) {
                    // The readability check touches only the ends of each map; damage inside shows up here.
                    log.warn("Store {}: the index failed while catching up from the journal ({}); rebuilding it "
                            + "from the journal {}. No acknowledged write is lost.", files.index(), e, files.journal());
                    index.close();
                    index = null;
                    index = rebuild(journal);
                    committed = journal.lastLsn();
                }
            }
            return new Opened(index, journal, committed, scan.removesContent);
        } catch (RuntimeException | Error e) {
            if (index != null) {
                index.close();
            }
            journal.close();
            throw e;
        }
    }

    private Opened create() {
        try {
            StoreFiles.deleteMapDbFiles(files.index());
        } catch (IOException e) {
            throw new StorageException("Cannot prepare " + files.index() + ": " + e.getMessage(), e);
        }
        Journal journal = Journal.create(files.journal(), 1);
        Index index = null;
        try {
            index = Index.openFile(files.index(), volumes);
            index.setCheckpoint(1, 0);
            index.commit();
            journal.sync(journal.append(List.of(new CheckpointEnd(0))));
            log.info("Created store {}", files.index());
            return new Opened(index, journal, journal.lastLsn(), false);
        } catch (RuntimeException | Error e) {
            if (index != null) {
                index.close();
            }
            journal.close();
            throw e;
        }
    }

    private Index openTrusted(Journal.ScanResult result, CheckpointEnd lastEnd) {
        if (!Files.exists(files.index())) {
            throw new IllegalStateException("the file is missing");
        }
        if (!StoreFiles.looksLikeMapDb(files.index())) {
            throw new IllegalStateException("the file does not start with a MapDB header");
        }
        try {
            StoreFiles.deleteWalFiles(files.index());
        } catch (IOException e) {
            throw new StorageException("Cannot remove MapDB log files of " + files.index() + ": " + e.getMessage(), e);
        }
        Index index = Index.openFile(files.index(), volumes);
        try {
            if (index.formatVersion() != Index.FORMAT_VERSION) {
                // The index is derived data: another format version is migrated by rebuilding it.
                throw new IllegalStateException("index format " + index.formatVersion() + ", expected "
                        + Index.FORMAT_VERSION);
            }
            if (index.generation() != result.generation() || index.appliedLsn() != lastEnd.coveredLsn()) {
                throw new IllegalStateException("index is at generation " + index.generation() + " record "
                        + index.appliedLsn() + ", journal checkpoint is generation " + result.generation()
                        + " record " + lastEnd.coveredLsn());
            }
            index.verifyReadable();
            return index;
        } catch (RuntimeException e) {
            index.close();
            throw e;
        }
    }

    private void catchUp(Index index, JournalScan scan) {
        long applied = index.appliedLsn();
        int[] count = {0};
        Journal.RecordVisitor apply = (lsn, offset, record) -> {
            if (lsn > applied) {
                index.apply(record);
                count[0]++;
            }
        };
        if (scan.tailOverflow) {
            Journal.scan(files.journal(), apply);
        } else {
            for (Map.Entry<Long, JournalRecord> e : scan.tail) {
                apply.visit(e.getKey(), 0, e.getValue());
            }
        }
        if (count[0] > 0) {
            log.info("Store {}: replayed {} journal records written after the last checkpoint", files.index(),
                    count[0]);
        }
    }

    private Index rebuild(Journal journal) {
        long lastData = IndexBuilder.build(files.journal(), files.rebuildIndex(), volumes, journal.generation());
        try {
            StoreFiles.deleteMapDbFiles(files.index());
            StoreFiles.replace(files.rebuildIndex(), files.index());
        } catch (IOException e) {
            throw new StorageException("Cannot move the rebuilt index into place at " + files.index() + ": "
                    + e.getMessage(), e);
        }
        Index index = Index.openFile(files.index(), volumes);
        try {
            journal.sync(journal.append(List.of(new CheckpointEnd(lastData))));
            return index;
        } catch (RuntimeException e) {
            index.close();
            throw e;
        }
    }

    /** Files of a rebuild or compaction that never finished: never the truth, and they may hold deleted data. */
    private void deleteLeftovers() throws IOException {
        StoreFiles.deleteMapDbFiles(files.rebuildIndex());
        StoreFiles.deleteMapDbFiles(files.compactIndex());
        Files.deleteIfExists(files.compactJournal());
        Files.deleteIfExists(files.compactJournal().resolveSibling(files.compactJournal().getFileName() + ".tmp"));
        Files.deleteIfExists(files.journal().resolveSibling(files.journal().getFileName() + ".tmp"));
    }

    /** What the open needs from the journal scan. */
    private static final class JournalScan {
        JournalRecord lastMarker;
        CheckpointEnd lastEnd;
        boolean removesContent;
        final List<Map.Entry<Long, JournalRecord>> tail = new ArrayList<>();
        long tailBytes;
        boolean tailOverflow;

        void visit(long lsn, long offset, JournalRecord record) {
            removesContent |= record.removesContent();
            if (record instanceof CheckpointEnd end) {
                lastMarker = record;
                lastEnd = end;
                tail.clear();
                tailBytes = 0;
                tailOverflow = false;
                return;
            }
            if (record instanceof CheckpointBegin) {
                lastMarker = record;
            }
            if (!tailOverflow) {
                tail.add(Map.entry(lsn, record));
                tailBytes += estimate(record);
                if (tailBytes > REPLAY_BUFFER_LIMIT) {
                    tail.clear();
                    tailOverflow = true;
                }
            }
        }

        String trustProblem() {
            if (lastMarker == null) {
                return "the journal has no checkpoint";
            }
            if (lastMarker instanceof CheckpointBegin) {
                return "the process stopped inside a checkpoint, which can leave MapDB's file half written";
            }
            return null;
        }

        private static long estimate(JournalRecord record) {
            if (record instanceof JournalRecord.MessageAppended m) {
                return 128L + 2L * m.message().content().length()
                        + (m.message().payload() == null ? 0 : 2L * m.message().payload().length());
            }
            return 256;
        }
    }
}
