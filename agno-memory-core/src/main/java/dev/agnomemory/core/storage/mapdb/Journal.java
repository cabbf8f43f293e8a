package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.storage.StorageException;
import dev.agnomemory.core.storage.StoreFormatException;
import dev.agnomemory.core.storage.mapdb.BinaryIn.MalformedDataException;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only journal: the store's source of truth. Every write is a checksummed frame forced to disk before
 * the write is acknowledged; the MapDB index is rebuilt or caught up from it at open.
 *
 * <p>File layout: a 32-byte header (magic, format version, generation, creation time, CRC32C), then frames of
 * {@code length:int, crc32c:int, lsn:long, payload}. The CRC covers length, lsn and payload. Record numbers
 * (lsn) start at 1 in each generation and increase by one per frame.
 *
 * <p>Not thread-safe for appends: the caller serializes {@link #append}. {@link #sync} may be called by many
 * threads at once; one disk flush then covers every frame written before it started (group commit).
 */
final class Journal implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(Journal.class);

    static final int FORMAT_VERSION = 1;
    private static final byte[] MAGIC = "AGNOMEMJ".getBytes(StandardCharsets.US_ASCII);
    static final int HEADER_SIZE = 32;
    private static final int FRAME_HEADER = 16;
    /** A frame longer than this cannot have been written by this code; its length field is damaged. */
    static final int MAX_PAYLOAD = 1 << 30;

    /** Receives the records of a scan. */
    @FunctionalInterface
    interface RecordVisitor {
        void visit(long lsn, long offset, JournalRecord record);
    }

    private final Path path;
    /**
     * RandomAccessFile rather than FileChannel: a FileChannel closes itself when the thread using it is
     * interrupted, which would take the store down because a caller's thread was interrupted.
     */
    private final RandomAccessFile file;
    private final long generation;
    private final ReentrantLock syncLock = new ReentrantLock();
    private long end;
    private volatile long writtenLsn;
    private volatile long syncedLsn;
    private final BinaryOut frameBuffer = new BinaryOut(4096);

    private Journal(Path path, RandomAccessFile file, long generation, long end, long lastLsn) {
        this.path = path;
        this.file = file;
        this.generation = generation;
        this.end = end;
        this.writtenLsn = lastLsn;
        this.syncedLsn = lastLsn;
    }

    /**
     * Creates a new, empty journal atomically: the header is written to a temporary file, forced, and renamed into
     * place, so a journal file always has a complete header.
     */
    static Journal create(Path path, long generation) {
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        try {
            Files.deleteIfExists(tmp);
            try (RandomAccessFile raf = new RandomAccessFile(tmp.toFile(), "rw")) {
                raf.write(header(generation));
                raf.getFD().sync();
            }
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            StoreFiles.syncDirectory(path);
            return new Journal(path, new RandomAccessFile(path.toFile(), "rw"), generation, HEADER_SIZE, 0);
        } catch (IOException e) {
            throw new StorageException("Cannot create journal " + path + ": " + e.getMessage(), e);
        }
    }

    /** What a full scan of a journal found. */
    record ScanResult(long generation, long lastLsn, long endOffset, long tornBytes) {
    }

    /**
     * Reads and checks the whole journal, passing every record to {@code visitor}. A damaged last frame (a write
     * cut off by a crash: it was never acknowledged) ends the scan and is reported in
     * {@link ScanResult#tornBytes()}; damage followed by intact frames is corruption and fails.
     *
     * @throws StoreFormatException when the file is not a journal, is of a newer format, or is corrupt
     */
    static ScanResult scan(Path path, RecordVisitor visitor) {
        long fileSize;
        try {
            fileSize = Files.size(path);
        } catch (IOException e) {
            throw new StorageException("Cannot read journal " + path + ": " + e.getMessage(), e);
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
            byte[] header = new byte[HEADER_SIZE];
            if (in.readNBytes(header, 0, HEADER_SIZE) < HEADER_SIZE) {
                throw new StoreFormatException(path, "not an agno-memory journal (file too short for a header)");
            }
            long generation = checkHeader(path, header);
            long offset = HEADER_SIZE;
            long lsn = 0;
            byte[] frameHeader = new byte[FRAME_HEADER];
            byte[] payload = new byte[256];
            CRC32C crc = new CRC32C();
            while (offset < fileSize) {
                String damage = null;
                int read = in.readNBytes(frameHeader, 0, FRAME_HEADER);
                int length = 0;
                if (read < FRAME_HEADER) {
                    damage = "incomplete frame header";
                } else {
                    ByteBuffer fh = ByteBuffer.wrap(frameHeader);
                    length = fh.getInt(0);
                    int storedCrc = fh.getInt(4);
                    long frameLsn = fh.getLong(8);
                    if (length < 1 || length > MAX_PAYLOAD || length > fileSize - offset - FRAME_HEADER) {
                        damage = "bad frame length " + length;
                    } else {
                        if (payload.length < length) {
                            payload = new byte[Math.max(length, payload.length * 2)];
                        }
                        if (in.readNBytes(payload, 0, length) < length) {
                            damage = "incomplete frame";
                        } else {
                            crc.reset();
                            crc.update(frameHeader, 0, 4);
                            crc.update(frameHeader, 8, 8);
                            crc.update(payload, 0, length);
                            if ((int) crc.getValue() != storedCrc) {
                                damage = "checksum mismatch";
                            } else if (frameLsn != lsn + 1) {
                                damage = "record number " + frameLsn + " where " + (lsn + 1) + " was expected";
                            }
                        }
                    }
                }
                if (damage != null) {
                    if (hasIntactFrameAfter(path, offset, fileSize, lsn + 1)) {
                        throw new StoreFormatException(path, "journal is corrupt at offset " + offset + " (record "
                                + (lsn + 1) + ": " + damage + ") and intact records follow; refusing to open. "
                                + "Restore the file from a backup.");
                    }
                    return new ScanResult(generation, lsn, offset, fileSize - offset);
                }
                JournalRecord record;
                try {
                    record = Codec.readRecord(new BinaryIn(payload, 0, length));
                } catch (MalformedDataException | IllegalArgumentException e) {
                    throw new StoreFormatException(path, "record " + (lsn + 1) + " at offset " + offset
                            + " has a valid checksum but cannot be decoded (" + e.getMessage()
                            + "); was it written by a newer version?", e);
                }
                lsn++;
                visitor.visit(lsn, offset, record);
                offset += FRAME_HEADER + length;
            }
            return new ScanResult(generation, lsn, offset, 0);
        } catch (EOFException e) {
            throw new StoreFormatException(path, "journal ended unexpectedly", e);
        } catch (IOException e) {
            throw new StorageException("Cannot read journal " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens a scanned journal for appending. A torn tail found by the scan is cut off first (it holds no
     * acknowledged write).
     */
    static Journal openForAppend(Path path, ScanResult scan) {
        try {
            RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw");
            try {
                if (scan.tornBytes() > 0) {
                    log.warn("Journal {}: discarding {} bytes at offset {} left by a write that a crash cut off "
                            + "(it was never acknowledged)", path, scan.tornBytes(), scan.endOffset());
                    raf.setLength(scan.endOffset());
                    raf.getFD().sync();
                }
                return new Journal(path, raf, scan.generation(), scan.endOffset(), scan.lastLsn());
            } catch (IOException | RuntimeException e) {
                raf.close();
                throw e;
            }
        } catch (IOException e) {
            throw new StorageException("Cannot open journal " + path + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code path} starts like a journal (the magic bytes), without checking anything else. */
    static boolean looksLikeJournal(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            return Arrays.equals(in.readNBytes(MAGIC.length), MAGIC);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Appends the records as consecutive frames in one write; they become durable with {@link #sync}.
     *
     * @return the lsn of the last record
     */
    long append(List<JournalRecord> records) {
        long lsn = writtenLsn;
        BinaryOut out = frameBuffer;
        out.reset();
        CRC32C crc = new CRC32C();
        for (JournalRecord record : records) {
            int frameStart = out.size();
            out.writeInt(0);
            out.writeInt(0);
            out.writeLong(++lsn);
            Codec.writeRecord(out, record);
            int length = out.size() - frameStart - FRAME_HEADER;
            if (length > MAX_PAYLOAD) {
                throw new IllegalArgumentException("record too large to store: " + length + " bytes");
            }
            byte[] a = out.array();
            putInt(a, frameStart, length);
            crc.reset();
            crc.update(a, frameStart, 4);
            crc.update(a, frameStart + 8, 8 + length);
            putInt(a, frameStart + 4, (int) crc.getValue());
        }
        int written = out.size();
        try {
            file.seek(end);
            file.write(out.array(), 0, written);
        } catch (IOException e) {
            try {
                file.setLength(end);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new StorageException("Cannot write to journal " + path + ": " + e.getMessage(), e);
        } finally {
            if (out.array().length > (1 << 20)) {
                out.shrinkTo(4096);
            }
        }
        end += written;
        writtenLsn = lsn;
        return lsn;
    }

    /** Forces every frame up to {@code lsn} to disk; concurrent callers share one flush. */
    void sync(long lsn) {
        if (syncedLsn >= lsn) {
            return;
        }
        syncLock.lock();
        try {
            if (syncedLsn >= lsn) {
                return;
            }
            long target = writtenLsn;
            file.getFD().sync();
            syncedLsn = target;
        } catch (IOException e) {
            throw new StorageException("Cannot flush journal " + path + " to disk: " + e.getMessage(), e);
        } finally {
            syncLock.unlock();
        }
    }

    long lastLsn() {
        return writtenLsn;
    }

    long generation() {
        return generation;
    }

    long size() {
        return end;
    }

    Path path() {
        return path;
    }

    @Override
    public void close() {
        try {
            file.close();
        } catch (IOException e) {
            log.warn("Closing journal {} failed", path, e);
        }
    }

    // ---- helpers ----

    private static byte[] header(long generation) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE);
        b.put(MAGIC).putInt(FORMAT_VERSION).putLong(generation).putLong(System.currentTimeMillis());
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, HEADER_SIZE - 4);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    private static long checkHeader(Path path, byte[] header) {
        if (!Arrays.equals(Arrays.copyOf(header, MAGIC.length), MAGIC)) {
            throw new StoreFormatException(path, "not an agno-memory journal (unknown header)");
        }
        ByteBuffer b = ByteBuffer.wrap(header);
        CRC32C crc = new CRC32C();
        crc.update(header, 0, HEADER_SIZE - 4);
        if ((int) crc.getValue() != b.getInt(HEADER_SIZE - 4)) {
            throw new StoreFormatException(path, "journal header is damaged (checksum mismatch)");
        }
        int version = b.getInt(MAGIC.length);
        if (version > FORMAT_VERSION) {
            throw new StoreFormatException(path, "journal format version " + version
                    + " was written by a newer agno-memory; this version reads up to " + FORMAT_VERSION
                    + ". Upgrade agno-memory to open it.");
        }
        if (version < 1) {
            throw new StoreFormatException(path, "journal format version " + version + " is not valid");
        }
        // Version 1 is the first format; older versions would be migrated here.
        return b.getLong(MAGIC.length + 4);
    }

    /**
     * Whether any intact frame with a record number of at least {@code minLsn} starts after {@code damagedAt}.
     * Only called on a damaged frame, so the byte-by-byte search does not matter for speed.
     */
    private static boolean hasIntactFrameAfter(Path path, long damagedAt, long fileSize, long minLsn) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long remaining = fileSize - damagedAt;
            if (remaining > Integer.MAX_VALUE - 8) {
                return true;
            }
            ByteBuffer all = ByteBuffer.allocate((int) remaining);
            while (all.hasRemaining() && ch.read(all, damagedAt + all.position()) > 0) {
                // read fully
            }
            byte[] a = all.array();
            CRC32C crc = new CRC32C();
            for (int p = 1; p + FRAME_HEADER < a.length; p++) {
                ByteBuffer b = ByteBuffer.wrap(a);
                int length = b.getInt(p);
                if (length < 1 || length > a.length - p - FRAME_HEADER) {
                    continue;
                }
                long lsn = b.getLong(p + 8);
                if (lsn < minLsn) {
                    continue;
                }
                crc.reset();
                crc.update(a, p, 4);
                crc.update(a, p + 8, 8 + length);
                if ((int) crc.getValue() == b.getInt(p + 4)) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new StorageException("Cannot read journal " + path + ": " + e.getMessage(), e);
        }
    }

    private static void putInt(byte[] a, int at, int v) {
        a[at] = (byte) (v >>> 24);
        a[at + 1] = (byte) (v >>> 16);
        a[at + 2] = (byte) (v >>> 8);
        a[at + 3] = (byte) v;
    }

}
