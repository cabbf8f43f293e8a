package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.storage.StorageException;
import dev.agnomemory.core.storage.StoreLockedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes the journal. Callers hand it their frames and wait until they are durable; it writes
 * whatever has queued up in one write and one {@code fdatasync} (group commit: concurrent writers share the flush),
 * then wakes them.
 *
 * <p>Rules:
 * <ul>
 *   <li>Frames are written in the order they were submitted, so record numbers stay consecutive.</li>
 *   <li>A caller's thread never touches the file: an interrupt cannot close the channel under the store, and the
 *       file is a {@code FileChannel}, so a flush is an {@code fdatasync}.</li>
 *   <li>The active segment is pre-allocated with zeros in chunks, so a flush does not change the file's size or
 *       allocation and has only data to write. A segment is rolled over when it reaches its maximum size, or when
 *       a compaction asks for a cut; the next one is created, locked, and then the old one is sealed (cut to its
 *       data).</li>
 *   <li>After every flush the segment's path must still name the file being written, and that file must not be
 *       shorter than what was written: a journal deleted, replaced or truncated under a running store fails the
 *       writes instead of acknowledging them.</li>
 *   <li>Any failure fails every write not yet acknowledged and every later one; the store must be reopened.</li>
 *   <li>The active segment is locked (the store's lock file aside), so a second process cannot write the store
 *       even if the lock file is deleted.</li>
 * </ul>
 */
final class LogWriter {

    private static final Logger log = LoggerFactory.getLogger(LogWriter.class);
    private static final SecureRandom SALTS = new SecureRandom();
    private static final long MIN_CHUNK = 256 * 1024;
    /**
     * The most zeros written (and forced) at once ahead of the writes. The writes queued meanwhile wait for that
     * flush, so this bounds their stall to what the disk takes for 512 KiB (it was 4 MiB: a stall of 50 ms and more
     * on the shared virtual disks here), at the price of one extra flush per ~2,000 small writes.
     */
    private static final long MAX_CHUNK = 512 * 1024;

    /** What the store learns about segments the writer starts. */
    interface SegmentListener {
        void started(long number);
    }

    private record Submitted(Frame frame, boolean rollFirst) {
    }

    private final StoreFiles files;
    private final StoreId storeId;
    private final long generation;
    private final long maxSegmentBytes;
    private final SegmentListener listener;

    private final Object monitor = new Object();
    private final ArrayDeque<Submitted> queue = new ArrayDeque<>();
    private long durableLsn;
    private StorageException failure;
    private boolean closing;
    private Thread thread;

    // the active segment: only the writer thread touches these (and open/close, before and after it runs)
    /** Volatile: read by the maintenance thread ({@link #reserveNextSegment}). */
    private volatile long segmentNumber;
    private Path segmentPath;
    private FileChannel channel;
    private FileLock segmentLock;
    private Object fileKey;
    private long end;
    private long allocated;
    private int lastCrc;
    private byte[] buffer = new byte[64 * 1024];

    private LogWriter(StoreFiles files, StoreId storeId, long generation, long maxSegmentBytes,
            SegmentListener listener) {
        this.files = files;
        this.storeId = storeId;
        this.generation = generation;
        this.maxSegmentBytes = maxSegmentBytes;
        this.listener = listener;
    }

    /**
     * Takes the active segment for appending: opens and locks it (refusing when another process holds it), before
     * the open reads or changes anything else. {@link #resumeAt} then says where appending continues.
     *
     * @throws dev.agnomemory.core.storage.StoreLockedException when another process holds the segment
     */
    static LogWriter open(StoreFiles files, StoreId storeId, long generation, long maxSegmentBytes,
            SegmentListener listener, long segmentNumber) {
        LogWriter w = new LogWriter(files, storeId, generation, maxSegmentBytes, listener);
        w.openSegment(segmentNumber);
        return w;
    }

    /**
     * Continues after the last intact frame the open found, zeroing a torn tail after it.
     *
     * @param end where the next frame goes
     * @param tornBytes bytes of a torn last write after {@code end}, zeroed here
     * @param lastCrc the CRC of the last intact frame (the salt when there is none)
     * @param nextLsn the number of the next record
     */
    void resumeAt(long end, long tornBytes, int lastCrc, long nextLsn) {
        this.durableLsn = nextLsn - 1;
        this.end = end;
        this.lastCrc = lastCrc;
        try {
            this.allocated = channel.size();
            if (tornBytes > 0) {
                Segment.zeroFill(channel, end, end + tornBytes);
                channel.force(false);
            }
        } catch (IOException e) {
            throw IoFailures.storage("Cannot prepare journal segment", segmentPath, e);
        }
    }

    /** Releases the segment after a failed open. */
    void abandon() {
        closeChannel();
    }

    private void openSegment(long number) {
        Path path = files.segment(number);
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw IoFailures.storage("Cannot open journal segment", path, e);
        }
        try {
            FileLock lock = ch.tryLock();
            if (lock == null) {
                throw new StoreLockedException(files.index(), null);
            }
            this.segmentLock = lock;
        } catch (OverlappingFileLockException e) {
            closeQuietly(ch);
            throw new StoreLockedException(files.index(), e);
        } catch (IOException e) {
            closeQuietly(ch);
            throw IoFailures.storage("Cannot lock journal segment", path, e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
        try {
            this.fileKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            closeQuietly(ch);
            throw IoFailures.storage("Cannot inspect journal segment", path, e);
        }
        this.channel = ch;
        this.segmentNumber = number;
        this.segmentPath = path;
    }

    /** Starts the writer thread. */
    void start(String storeName) {
        thread = new Thread(this::run, "agno-memory-journal " + storeName);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Queues a frame; it is written after every frame queued before it.
     *
     * @param rollFirst start a new segment before writing it (a compaction's cut)
     * @throws StorageException when the writer failed earlier
     */
    void submit(Frame frame, boolean rollFirst) {
        synchronized (monitor) {
            if (failure != null) {
                throw failure;
            }
            if (closing) {
                throw new IllegalStateException("the journal of " + files.index() + " is closed");
            }
            queue.add(new Submitted(frame, rollFirst));
            monitor.notifyAll();
        }
    }

    /**
     * Waits until every record up to {@code lsn} is durable. Not interruptible: a write that was submitted is
     * waited for; the thread's interrupt status is kept.
     *
     * @throws StorageException when the writer failed before they were
     */
    void awaitDurable(long lsn) {
        boolean interrupted = false;
        synchronized (monitor) {
            while (durableLsn < lsn && failure == null) {
                try {
                    monitor.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (durableLsn < lsn) {
                throw failure;
            }
        }
    }

    /** @return the failure that stopped the writer, or null */
    StorageException failure() {
        synchronized (monitor) {
            return failure;
        }
    }

    long durableLsn() {
        synchronized (monitor) {
            return durableLsn;
        }
    }

    // ---- the writer thread ----

    private void run() {
        List<Submitted> batch = new ArrayList<>();
        while (true) {
            batch.clear();
            synchronized (monitor) {
                while (queue.isEmpty() && !closing && failure == null) {
                    try {
                        monitor.wait();
                    } catch (InterruptedException e) {
                        // only close() stops this thread, and it does not interrupt it
                    }
                }
                if (failure != null || queue.isEmpty()) {
                    return;
                }
                long bytes = 0;
                while (!queue.isEmpty()) {
                    Submitted next = queue.peek();
                    if (!batch.isEmpty() && (next.rollFirst() || bytes + next.frame().size() > SegmentScanner.MAX_GROUP)) {
                        break;
                    }
                    batch.add(queue.poll());
                    bytes += next.frame().size();
                }
            }
            try {
                write(batch);
            } catch (IOException | RuntimeException | Error e) {
                StorageException f = e instanceof StorageException se ? se
                        : IoFailures.storage("Cannot write journal segment", segmentPath, e);
                synchronized (monitor) {
                    failure = f;
                    queue.clear();
                    monitor.notifyAll();
                }
                // the writers waiting for these frames get the failure; the store logs it once
                return;
            }
        }
    }

    private void write(List<Submitted> batch) throws IOException {
        int total = 0;
        for (Submitted s : batch) {
            total += s.frame().size();
        }
        if (batch.get(0).rollFirst() || (end + total > maxSegmentBytes && end > SegmentHeader.SIZE)) {
            roll(batch.get(0).frame().firstLsn());
        }
        long size = channel.size();
        if (size < end) {
            throw new StorageException("The journal segment " + segmentPath + " was truncated to " + size
                    + " bytes while the store was open (" + end + " were written); the write was not "
                    + "acknowledged, and the store accepts no more writes.");
        }
        if (end + total > allocated) {
            extend(end + total);
        }
        if (buffer.length < total) {
            buffer = new byte[Math.max(total, buffer.length * 2)];
        }
        long durable = durableLsn();
        int at = 0;
        int crc = lastCrc;
        for (Submitted s : batch) {
            crc = s.frame().writeTo(buffer, at, crc, durable);
            s.frame().placedAt(segmentNumber, end + at, crc);
            at += s.frame().size();
        }
        Segment.writeFully(channel, ByteBuffer.wrap(buffer, 0, total), end);
        channel.force(false);
        verifyStillOurs(end + total);
        end += total;
        lastCrc = crc;
        synchronized (monitor) {
            durableLsn = batch.get(batch.size() - 1).frame().lastLsn();
            monitor.notifyAll();
        }
        if (allocated - end < chunk() / 4 && end < maxSegmentBytes) {
            extend(end + chunk());
            channel.force(false);
        }
        if (buffer.length > (4 << 20)) {
            buffer = new byte[64 * 1024];
        }
    }

    private long chunk() {
        return Math.max(MIN_CHUNK, Math.min(MAX_CHUNK, end / 4));
    }

    /** Zero-fills the segment up to at least {@code needed}. */
    private void extend(long needed) throws IOException {
        long target = Math.max(needed, allocated + chunk());
        Segment.zeroFill(channel, allocated, target);
        allocated = target;
    }

    /**
     * Fails the write unless the segment's path still names the file being written and the file holds everything
     * written to it: someone who deletes, replaces or truncates the journal must not get acknowledgements.
     */
    private void verifyStillOurs(long written) throws IOException {
        Object key;
        try {
            key = Files.readAttributes(segmentPath, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (NoSuchFileException e) {
            throw new StorageException("The journal segment " + segmentPath + " was deleted while the store was "
                    + "open; the write was not acknowledged, and the store accepts no more writes. Do not delete a "
                    + "store's files while it is open.", e);
        }
        if (fileKey != null && !fileKey.equals(key)) {
            throw new StorageException("The journal segment " + segmentPath + " was replaced by another file while "
                    + "the store was open; the write was not acknowledged, and the store accepts no more writes.");
        }
        long size = channel.size();
        if (size < written) {
            throw new StorageException("The journal segment " + segmentPath + " was truncated to " + size
                    + " bytes while the store was open (" + written + " were written); the write was not "
                    + "acknowledged, and the store accepts no more writes.");
        }
    }

    /** Starts segment {@code segmentNumber + 1}, whose first record is {@code firstLsn}, and seals this one. */
    private void roll(long firstLsn) throws IOException {
        long next = segmentNumber + 1;
        SegmentHeader header = new SegmentHeader(SegmentHeader.Kind.LOG, storeId, generation, next, firstLsn,
                SALTS.nextInt(), 0, 0);
        Segment.create(files.segment(next), header, MIN_CHUNK);
        FileChannel old = channel;
        FileLock oldLock = segmentLock;
        long oldEnd = end;
        openSegment(next);
        end = SegmentHeader.SIZE;
        allocated = channel.size();
        lastCrc = header.salt();
        listener.started(next);
        // Seal: cut the old segment to its data; a crash before the cut leaves zeros, which a scan reads as the end.
        try {
            old.truncate(oldEnd);
        } finally {
            try {
                oldLock.release();
            } catch (IOException e) {
                // closing releases it too
            }
            closeQuietly(old);
        }
    }

    /**
     * Writes everything queued, stops the thread, cuts the pre-allocated zeros off the active segment and closes it
     * (releasing its lock). Settles every pending write: each is durable or failed when this returns.
     */
    void close() {
        synchronized (monitor) {
            closing = true;
            monitor.notifyAll();
        }
        if (thread != null) {
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (monitor) {
            if (failure == null && !queue.isEmpty()) {
                failure = new StorageException("The journal of " + files.index() + " was closed before the write");
            }
            queue.clear();
            monitor.notifyAll();
        }
        if (channel != null) {
            try {
                if (failure() == null) {
                    channel.truncate(end);
                    channel.force(true);
                }
            } catch (IOException e) {
                log.warn("Could not cut the pre-allocated space off {}", segmentPath, e);
            } finally {
                closeChannel();
            }
        }
    }

    private void closeChannel() {
        if (segmentLock != null) {
            try {
                segmentLock.release();
            } catch (IOException e) {
                // closing the channel releases it too
            }
        }
        closeQuietly(channel);
        channel = null;
    }

    long segmentNumber() {
        return segmentNumber;
    }

    /**
     * Takes the space of the next segment now (see {@link Segment#reserve}), so that a roll asked for by a cut does
     * not fail the writer when the disk is full; the caller's work fails instead, and the store goes on.
     */
    void reserveNextSegment() {
        Segment.reserve(files.segment(segmentNumber + 1), MIN_CHUNK);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch == null) {
            return;
        }
        try {
            ch.close();
        } catch (IOException e) {
            // nothing left to do
        }
    }
}
