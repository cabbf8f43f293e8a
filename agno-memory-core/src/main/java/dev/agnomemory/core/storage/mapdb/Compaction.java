package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.StorageException;
import dev.agnomemory.core.storage.mapdb.JournalRecord.CheckpointEnd;
import dev.agnomemory.core.storage.mapdb.JournalRecord.CountersRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemoryHistoryRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemoryRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.RunRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionRestored;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.mapdb.volume.VolumeFactory;

/**
 * Rewrites a store with only its live data: a new journal generation holding a snapshot of the index, and a new
 * index built from it. Deleted sessions and memories, and old versions of changed values, are then in no file.
 *
 * <p>Crash safety: the new files are built beside the old ones; renaming the new journal over the old one is the
 * commit point. A crash before it leaves the old store (the leftovers are deleted at open, the purge re-runs); a
 * crash after it leaves a journal of the new generation with an index of the old one, which the open detects and
 * rebuilds from the new journal.
 */
final class Compaction {

    private static final int BATCH = 256;
    private static final int RUN_PAGE = 256;

    private final StoreFiles files;
    private final VolumeFactory volumes;

    Compaction(StoreFiles files, VolumeFactory volumes) {
        this.files = files;
        this.volumes = volumes;
    }

    /** The rewritten files, ready to replace the live ones. */
    final class Result {
        private final Journal.ScanResult journalState;

        private Result(Journal.ScanResult journalState) {
            this.journalState = journalState;
        }

        /** Replaces the live files (which the caller has closed) and opens the new ones. */
        Swapped swapIn() {
            try {
                StoreFiles.replace(files.compactJournal(), files.journal());
                StoreFiles.deleteMapDbFiles(files.index());
                StoreFiles.replace(files.compactIndex(), files.index());
            } catch (IOException e) {
                throw new StorageException("Cannot move the compacted files of " + files.index() + " into place: "
                        + e.getMessage(), e);
            }
            Journal journal = Journal.openForAppend(files.journal(), journalState);
            try {
                return new Swapped(Index.openFile(files.index(), volumes), journal);
            } catch (RuntimeException e) {
                journal.close();
                throw e;
            }
        }
    }

    record Swapped(Index index, Journal journal) {
    }

    /**
     * Writes the snapshot journal and builds its index; the live store is only read (under the read lock), so a
     * failure here leaves it as it was.
     */
    Result run(Index live, long generation, ReentrantReadWriteLock indexLock) {
        try {
            deleteOutputs();
            Journal.ScanResult state;
            try (Journal snapshot = Journal.create(files.compactJournal(), generation)) {
                indexLock.readLock().lock();
                try {
                    writeSnapshot(live, snapshot);
                } finally {
                    indexLock.readLock().unlock();
                }
                long lastData = snapshot.lastLsn();
                snapshot.sync(snapshot.append(List.of(new CheckpointEnd(lastData))));
                state = new Journal.ScanResult(generation, snapshot.lastLsn(), snapshot.size(), 0);
            }
            IndexBuilder.build(files.compactJournal(), files.compactIndex(), volumes, generation);
            return new Result(state);
        } catch (IOException | RuntimeException e) {
            try {
                deleteOutputs();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof RuntimeException re) {
                throw re;
            }
            throw new StorageException("Compaction of " + files.index() + " failed: " + e.getMessage(), e);
        }
    }

    private void writeSnapshot(Index live, Journal out) {
        List<JournalRecord> batch = new ArrayList<>(BATCH);
        batch.add(new CountersRestored(live.nextSid(), live.nextVersion()));
        Map<SessionKey, SessionState> sessions = new LinkedHashMap<>();
        live.forEachSession(null, sessions::put);
        for (Map.Entry<SessionKey, SessionState> e : sessions.entrySet()) {
            SessionKey key = e.getKey();
            SessionState state = e.getValue();
            batch.add(new SessionRestored(key, state));
            for (long from = 0; from < state.runCount(); from += RUN_PAGE) {
                for (Map.Entry<Long, RunState> run : live.runs(state.sid(), from, from + RUN_PAGE)) {
                    batch.add(new RunRestored(key, run.getKey(), run.getValue(),
                            live.messages(state.sid(), run.getKey())));
                    flushIfFull(batch, out);
                }
            }
            flushIfFull(batch, out);
        }
        for (UserMemory memory : live.memories(null)) {
            batch.add(new MemoryRestored(memory));
            flushIfFull(batch, out);
        }
        live.forEachMemoriesVersion((userId, version) -> {
            batch.add(new JournalRecord.MemoriesVersionRestored(userId, version));
            flushIfFull(batch, out);
        });
        live.forEachMemoryChange((sequence, change) -> {
            batch.add(new MemoryHistoryRestored(sequence, change));
            flushIfFull(batch, out);
        });
        for (MemoryEmbedding embedding : live.embeddings(null)) {
            batch.add(new JournalRecord.EmbeddingSaved(embedding));
            flushIfFull(batch, out);
        }
        if (!batch.isEmpty()) {
            out.append(batch);
        }
    }

    private static void flushIfFull(List<JournalRecord> batch, Journal out) {
        if (batch.size() >= BATCH) {
            out.append(batch);
            batch.clear();
        }
    }

    private void deleteOutputs() throws IOException {
        Files.deleteIfExists(files.compactJournal());
        StoreFiles.deleteMapDbFiles(files.compactIndex());
    }
}
