package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.storage.StorageException;
import dev.agnomemory.core.storage.StoreFormatException;
import dev.agnomemory.core.storage.mapdb.BinaryIn.MalformedDataException;
import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * One journal segment file, open for reading: the records the index points to are read from here. Reads go
 * through a {@link RandomAccessFile}, whose I/O, unlike a {@code FileChannel}'s, is not aborted (and the file not
 * closed) when the reading thread is interrupted. The file stays open as long as the segment is part of the
 * journal: closing another descriptor of a file would drop the process's lock on it (POSIX locks are per process).
 */
final class Segment implements Closeable {

    private final Path path;
    private final SegmentHeader header;
    private final RandomAccessFile file;

    private Segment(Path path, SegmentHeader header, RandomAccessFile file) {
        this.path = path;
        this.header = header;
        this.file = file;
    }

    /**
     * Opens an existing segment and checks its header.
     *
     * @throws StoreFormatException when it is not a segment of this format, or its number is not {@code number}
     */
    static Segment open(Path path, long number) {
        RandomAccessFile file;
        try {
            file = new RandomAccessFile(path.toFile(), "r");
        } catch (IOException e) {
            throw IoFailures.storage("Cannot open journal segment", path, e);
        }
        try {
            byte[] bytes = new byte[SegmentHeader.SIZE];
            int n = 0;
            while (n < bytes.length) {
                int r = file.read(bytes, n, bytes.length - n);
                if (r < 0) {
                    break;
                }
                n += r;
            }
            SegmentHeader header = SegmentHeader.decode(path, bytes, n);
            if (header.number() != number) {
                throw new StoreFormatException(path, "journal segment header says it is segment " + header.number()
                        + ", but its file name says " + number);
            }
            return new Segment(path, header, file);
        } catch (IOException | RuntimeException e) {
            try {
                file.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof RuntimeException re) {
                throw re;
            }
            throw IoFailures.storage("Cannot read journal segment", path, e);
        }
    }

    /**
     * Creates a segment file atomically: the header and {@code preallocate} zero bytes go to a temporary file, which
     * is forced to disk and renamed into place. Zeros written ahead mean a later {@code fdatasync} finds the
     * blocks allocated and the size unchanged, and has only the data to flush. Runs on the store's own threads.
     */
    static void create(Path path, SegmentHeader header, long preallocate) {
        Path tmp = StoreFiles.temp(path);
        try {
            if (isReserved(tmp, preallocate)) {
                // the space was taken ahead (reserve): only the header is written, into allocated blocks
                try (RandomAccessFile f = new RandomAccessFile(tmp.toFile(), "rw")) {
                    f.write(header.encode());
                    f.getFD().sync();
                }
            } else {
                Files.deleteIfExists(tmp);
                try (RandomAccessFile f = new RandomAccessFile(newFile(tmp), "rw")) {
                    f.write(header.encode());
                    zeroFill(f, SegmentHeader.SIZE, SegmentHeader.SIZE + preallocate);
                    f.getFD().sync();
                }
            }
            StoreFiles.replace(tmp, path);
        } catch (IOException e) {
            throw createFailed(path, tmp, e);
        }
    }

    /**
     * Takes the space of segment {@code path} ahead of time: its temporary file, zeros for the header and
     * {@code preallocate} bytes, forced to disk; {@link #create} of the same path then only writes the header. A
     * compaction does this before it cuts the journal, so a disk too full for the next segment fails the compaction,
     * not the log writer (which would fail the store). On failure nothing is left behind.
     */
    static void reserve(Path path, long preallocate) {
        Path tmp = StoreFiles.temp(path);
        try {
            Files.deleteIfExists(tmp);
            try (RandomAccessFile f = new RandomAccessFile(newFile(tmp), "rw")) {
                zeroFill(f, 0, SegmentHeader.SIZE + preallocate);
                f.getFD().sync();
            }
        } catch (IOException e) {
            throw createFailed(path, tmp, e);
        }
    }

    /** Creates {@code path}, which must not exist yet, as {@code CREATE_NEW} would. */
    private static java.io.File newFile(Path path) throws IOException {
        Files.createFile(path);
        return path.toFile();
    }

    /** Deletes what a failed creation or reservation left and says what failed. */
    private static RuntimeException createFailed(Path path, Path tmp, IOException e) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
        }
        return IoFailures.storage("Cannot create journal segment", path, e);
    }

    /** A temporary segment file exists only while being created or as a reservation (leftovers go at open). */
    private static boolean isReserved(Path tmp, long preallocate) throws IOException {
        return Files.exists(tmp) && Files.size(tmp) >= SegmentHeader.SIZE + preallocate;
    }

    private static final byte[] ZEROS = new byte[256 * 1024];

    /** Writes zeros over {@code [from, to)} of a file that is not a channel (no interrupt can close it). */
    static void zeroFill(RandomAccessFile f, long from, long to) throws IOException {
        f.seek(from);
        long at = from;
        while (at < to) {
            int n = (int) Math.min(ZEROS.length, to - at);
            f.write(ZEROS, 0, n);
            at += n;
        }
    }

    /** Writes zeros over {@code [from, to)}. */
    static void zeroFill(FileChannel ch, long from, long to) throws IOException {
        long at = from;
        while (at < to) {
            int n = (int) Math.min(ZEROS.length, to - at);
            writeFully(ch, ByteBuffer.wrap(ZEROS, 0, n), at);
            at += n;
        }
    }

    static void writeFully(FileChannel ch, ByteBuffer buffer, long at) throws IOException {
        long position = at;
        while (buffer.hasRemaining()) {
            position += ch.write(buffer, position);
        }
    }

    Path path() {
        return path;
    }

    SegmentHeader header() {
        return header;
    }

    long number() {
        return header.number();
    }

    RandomAccessFile file() {
        return file;
    }

    /**
     * Reads the record at {@code p} and checks it against the pointer's checksum.
     *
     * @throws StorageException when the bytes there are not the record the index points to
     */
    JournalRecord read(Pointer p) {
        byte[] bytes = new byte[p.length()];
        synchronized (file) {
            try {
                file.seek(p.offset());
                file.readFully(bytes);
            } catch (IOException e) {
                throw IoFailures.storage("Cannot read journal segment", path, e);
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        if ((int) crc.getValue() != p.crc()) {
            throw new StorageException("Journal segment " + path + " is damaged: the record at offset " + p.offset()
                    + " (" + p.length() + " bytes) does not match its checksum. It cannot be read; restore the store "
                    + "from a backup.");
        }
        try {
            return JournalRecord.read(new BinaryIn(bytes));
        } catch (MalformedDataException | IllegalArgumentException e) {
            throw new StorageException("Journal segment " + path + ": the record at offset " + p.offset()
                    + " matches its checksum but cannot be decoded (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public void close() {
        try {
            file.close();
        } catch (IOException e) {
            // nothing was written through this file
        }
    }
}
