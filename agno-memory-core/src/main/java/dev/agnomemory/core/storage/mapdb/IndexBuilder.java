package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.storage.StorageException;
import java.io.IOException;
import java.nio.file.Path;
import org.mapdb.volume.VolumeFactory;

/** Builds a fresh MapDB index from a journal, into a file that is moved into place only once complete. */
final class IndexBuilder {

    /** Commit every this many records, so MapDB's uncommitted state stays small during a large rebuild. */
    private static final int COMMIT_EVERY = 20_000;

    private IndexBuilder() {
    }

    /**
     * Replays every record of {@code journal} into a new index at {@code target} and closes it.
     *
     * @return the lsn of the last data record (checkpoint markers excluded), which the index records as applied
     */
    static long build(Path journal, Path target, VolumeFactory volumes, long generation) {
        try {
            StoreFiles.deleteMapDbFiles(target);
        } catch (IOException e) {
            throw new StorageException("Cannot remove the old " + target + ": " + e.getMessage(), e);
        }
        Index index = Index.openFile(target, volumes);
        long lastData;
        try {
            long[] state = {0, 0};
            Journal.scan(journal, (lsn, offset, record) -> {
                index.apply(record);
                if (!(record instanceof JournalRecord.CheckpointBegin)
                        && !(record instanceof JournalRecord.CheckpointEnd)) {
                    state[0] = lsn;
                }
                if (++state[1] % COMMIT_EVERY == 0) {
                    index.commit();
                }
            });
            lastData = state[0];
            index.setCheckpoint(generation, lastData);
            index.commit();
        } finally {
            index.close();
        }
        try {
            StoreFiles.deleteWalFiles(target);
        } catch (IOException e) {
            throw new StorageException("Cannot remove MapDB log files of " + target + ": " + e.getMessage(), e);
        }
        return lastData;
    }
}
