package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.storage.StorageException;
import dev.agnomemory.core.storage.StoreLockedException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The operating-system lock that keeps a store to one process. It lives on its own file because compaction
 * replaces the journal and the index files, and a lock on a replaced file would no longer exclude anyone.
 */
final class StoreLock {

    private final Path lockFile;
    private final FileChannel channel;
    private final FileLock lock;
    private final boolean created;

    private StoreLock(Path lockFile, FileChannel channel, FileLock lock, boolean created) {
        this.lockFile = lockFile;
        this.channel = channel;
        this.lock = lock;
        this.created = created;
    }

    static StoreLock acquire(Path lockFile, Path storeFile) {
        boolean created = !Files.exists(lockFile);
        FileChannel channel;
        try {
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new StorageException("Cannot open the lock file " + lockFile + " of store " + storeFile + ": "
                    + e.getMessage(), e);
        }
        try {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new StoreLockedException(storeFile, null);
            }
            return new StoreLock(lockFile, channel, lock, created);
        } catch (OverlappingFileLockException e) {
            closeQuietly(channel);
            throw new StoreLockedException(storeFile, e);
        } catch (StoreLockedException e) {
            closeQuietly(channel);
            throw e;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new StorageException("Cannot lock " + lockFile + ": " + e.getMessage(), e);
        }
    }

    void release() {
        try {
            lock.release();
        } catch (IOException e) {
            // closing the channel below releases it as well
        }
        closeQuietly(channel);
    }

    /** Releases the lock after a failed open, removing the lock file if this open created it. */
    void releaseAfterFailedOpen() {
        release();
        if (created) {
            try {
                Files.deleteIfExists(lockFile);
            } catch (IOException e) {
                // an empty lock file left behind is harmless
            }
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to do
        }
    }
}
