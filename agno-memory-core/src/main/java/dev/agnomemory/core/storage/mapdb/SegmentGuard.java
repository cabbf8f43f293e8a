package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.storage.StorageException;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.LongSupplier;

/**
 * Tells, after each flush, whether the journal segment being written is still the file its path names and still
 * holds everything written to it, without asking the file system about the segment itself on every write.
 *
 * <p>Why not simply {@code stat} the segment: measured on Linux 6.18 (ext4), a {@code stat} of the file after each
 * {@code O_DSYNC} write makes the next write ~75 µs slower (170 → 245 µs per 300-byte write), most likely through
 * multigrain timestamps (Linux 6.13 and later: once a file's times were read, its next change takes a fine-grained
 * timestamp, which dirties the inode). So:
 * <ul>
 *   <li><b>Deleted or replaced</b> (renamed over, moved away): either changes the segment's directory. The directory's
 *       modification time is read after every flush; the segment itself is looked up by path (and its file key
 *       compared with the one it had when opened) only when that time changed, or when it is so recent that a
 *       second change within the same timestamp tick could hide behind it ({@link #SAME_TICK_MILLIS}).</li>
 *   <li><b>Truncated</b>: the writer keeps the segment pre-allocated beyond what it wrote; the last pre-allocated byte
 *       is read back after every flush. A segment cut below that byte ends before it, and the read says so. (A read
 *       does not dirty the inode the way a {@code stat} does.)</li>
 *   <li>A failed check throws a {@link StorageException} naming the segment; the write is not acknowledged.</li>
 * </ul>
 */
final class SegmentGuard {

    /**
     * How recent a directory time must be for "unchanged" not to be trusted: file system timestamps may be as coarse
     * as a scheduler tick (1–10 ms), so a change right after the one that set the time may leave it as it was.
     */
    static final long SAME_TICK_MILLIS = 100;

    private final Path path;
    private final File directory;
    private final Object fileKey;
    private final LongSupplier clock;
    private long directoryTime;
    private boolean directoryTrusted;

    /**
     * @param path the segment, just opened (its file key is taken now)
     * @param clock the wall clock in milliseconds, the one file system times are on
     */
    SegmentGuard(Path path, LongSupplier clock) throws IOException {
        this.path = path;
        Path parent = path.toAbsolutePath().getParent();
        this.directory = parent.toFile();
        this.clock = clock;
        this.fileKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }

    SegmentGuard(Path path) throws IOException {
        this(path, System::currentTimeMillis);
    }

    /**
     * Checks the segment after a flush.
     *
     * @param file the segment's open file
     * @param allocated how many bytes the writer has pre-allocated (more than it wrote)
     * @param written how many bytes the writer has written
     * @throws StorageException when the segment was deleted, replaced or truncated
     */
    void check(RandomAccessFile file, long allocated, long written) throws IOException {
        checkNotTruncated(file, allocated, written);
        long now = clock.getAsLong();
        long time = directory.lastModified();
        if (directoryTrusted && time == directoryTime && now - time > SAME_TICK_MILLIS) {
            return;
        }
        checkPath();
        directoryTime = time;
        directoryTrusted = time != 0 && now - time > SAME_TICK_MILLIS;
    }

    /**
     * Checks only that the segment still reaches its last pre-allocated byte (before the writer extends it: zeros
     * written past a cut would hide it).
     */
    void checkNotTruncated(RandomAccessFile file, long allocated, long written) throws IOException {
        file.seek(allocated - 1);
        if (file.read() < 0) {
            throw new StorageException("The journal segment " + path + " was truncated to " + file.length()
                    + " bytes while the store was open (" + written + " were written); the write was not "
                    + "acknowledged, and the store accepts no more writes.");
        }
    }

    /** Looks the segment up by path: the slow check, after its directory changed. */
    private void checkPath() throws IOException {
        Object key;
        try {
            key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (NoSuchFileException e) {
            throw new StorageException("The journal segment " + path + " was deleted while the store was "
                    + "open; the write was not acknowledged, and the store accepts no more writes. Do not delete a "
                    + "store's files while it is open.", e);
        }
        if (fileKey != null && !fileKey.equals(key)) {
            throw new StorageException("The journal segment " + path + " was replaced by another file while "
                    + "the store was open; the write was not acknowledged, and the store accepts no more writes.");
        }
    }
}
