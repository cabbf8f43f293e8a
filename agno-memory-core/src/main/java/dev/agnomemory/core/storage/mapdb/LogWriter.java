package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.storage.StorageException;
import dev.agnomemory.core.storage.StoreLockedException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the journal. Callers queue their frames and wait until they are durable; the first waiting caller that
 * finds nobody writing becomes the <em>leader</em>: it writes whatever has queued up in one write that is durable
 * when it returns (group commit: concurrent writers share the flush), then wakes the others, one of whom leads the
 * next group. A single writer thus writes its own frame, with no hand-off to another thread and back (two thread
 * wake-ups per write, which cost more than the rest of a write's CPU work on a busy machine).
 *
 * <p>Rules:
 * <ul>
 *   <li>Frames are written in the order they were submitted, so record numbers stay consecutive; one group at a
 *       time.</li>
 *   <li>The segment is a {@code RandomAccessFile} opened with {@code "rwd"} ({@code O_DSYNC}): each write is on
 *       disk, with what is needed to read it back, when it returns (as {@code fdatasync}), and, unlike a
 *       {@code FileChannel}, no caller's interrupt can close it. A leader's interrupt status is kept, not acted on.
 *       </li>
 *   <li>The active segment is pre-allocated with zeros in chunks, so a flush does not change the file's size or
 *       allocation and has only data to write. A segment is rolled over when it reaches its maximum size, or when
 *       a compaction asks for a cut; the next one is created, locked, and then the old one is sealed (cut to its
 *       data).</li>
 *   <li>After every flush the segment's path must still name the file being written, and that file must not be
 *       shorter than what was allocated: a journal deleted, replaced or truncated under a running store fails the
 *       writes instead of acknowledging them ({@link SegmentGuard}, which does so without a {@code stat} of the
 *       segment per write).</li>
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
    /** Whether a leader is writing a group now; guarded by {@link #monitor}. */
    private boolean writing;
    private boolean started;

    // the active segment: only the leader touches these (and open/close, when nobody leads)
    /** Volatile: read by the maintenance thread ({@link #reserveNextSegment}). */
    private volatile long segmentNumber;
    private Path segmentPath;
    private RandomAccessFile file;
    private FileLock segmentLock;
    private SegmentGuard guard;
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
            this.allocated = file.length();
            if (tornBytes > 0) {
                Segment.zeroFill(file, end, end + tornBytes);
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
        RandomAccessFile ch;
        try {
            if (!Files.isRegularFile(path)) {
                throw new NoSuchFileException(path.toString());
            }
            ch = new RandomAccessFile(path.toFile(), "rwd");
        } catch (IOException e) {
            throw IoFailures.storage("Cannot open journal segment", path, e);
        }
        try {
            // tryLock and release are not interruptible operations of the channel; no I/O goes through it
            FileLock lock = ch.getChannel().tryLock();
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
            this.guard = new SegmentGuard(path);
        } catch (IOException e) {
            closeQuietly(ch);
            throw IoFailures.storage("Cannot inspect journal segment", path, e);
        }
        this.file = ch;
        this.segmentNumber = number;
        this.segmentPath = path;
    }

    /** Lets writes begin (the open has decided where appending continues). */
    void start(String storeName) {
        synchronized (monitor) {
            started = true;
        }
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
        }
    }

    /**
     * Waits until every record up to {@code lsn} is durable, leading the writes of queued groups whenever nobody
     * else does. Not interruptible: a write that was submitted is waited for; the thread's interrupt status is kept.
     *
     * @throws StorageException when the writer failed before they were
     */
    void awaitDurable(long lsn) {
        drive(lsn, false);
    }

    /**
     * Waits until record {@code lsn} is durable, leading the group at the head of the queue whenever nobody leads.
     *
     * @param settle whether to return, rather than wait or throw, once nothing is queued or being written or the
     *     writer failed ({@link #close}, with {@code lsn} the largest number)
     */
    private void drive(long lsn, boolean settle) {
        boolean interrupted = false;
        try {
            while (true) {
                List<Submitted> batch;
                synchronized (monitor) {
                    while (true) {
                        if (durableLsn >= lsn) {
                            return;
                        }
                        if (failure != null) {
                            if (settle) {
                                return;
                            }
                            throw failure;
                        }
                        if (!writing && started && !queue.isEmpty()) {
                            break;
                        }
                        if (settle && !writing && queue.isEmpty()) {
                            return;
                        }
                        try {
                            monitor.wait();
                        } catch (InterruptedException e) {
                            interrupted = true;
                        }
                    }
                    writing = true;
                    batch = nextGroup();
                }
                lead(batch);
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
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

    // ---- the leader ----

    /** Takes the frames of the next group off the queue; called with {@link #monitor} held. */
    private List<Submitted> nextGroup() {
        List<Submitted> batch = new ArrayList<>();
        long bytes = 0;
        while (!queue.isEmpty()) {
            Submitted next = queue.peek();
            if (!batch.isEmpty() && (next.rollFirst() || bytes + next.frame().size() > SegmentScanner.MAX_GROUP)) {
                break;
            }
            batch.add(queue.poll());
            bytes += next.frame().size();
        }
        return batch;
    }

    /**
     * Writes one group as the leader; any failure fails it, every queued frame and every later write. The
     * interrupt status of the leader's thread is cleared while it writes (a directory is forced through a channel
     * when a segment rolls) and put back after.
     */
    private void lead(List<Submitted> batch) {
        boolean interrupted = Thread.interrupted();
        StorageException f = null;
        try {
            write(batch);
        } catch (IOException | RuntimeException | Error e) {
            f = e instanceof StorageException se ? se
                    : IoFailures.storage("Cannot write journal segment", segmentPath, e);
        } finally {
            synchronized (monitor) {
                writing = false;
                if (f != null && failure == null) {
                    failure = f;
                    queue.clear();
                }
                monitor.notifyAll();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        // the writers waiting for these frames get the failure; the store logs it once
    }

    private void write(List<Submitted> batch) throws IOException {
        int total = 0;
        for (Submitted s : batch) {
            total += s.frame().size();
        }
        if (batch.get(0).rollFirst() || (end + total > maxSegmentBytes && end > SegmentHeader.SIZE)) {
            roll(batch.get(0).frame().firstLsn());
        }
        if (end + total >= allocated) {
            // more than what is written stays allocated: the guard's truncation check reads the last allocated byte
            extend(end + total + 1);
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
        // O_DSYNC: durable when the write returns
        file.seek(end);
        file.write(buffer, 0, total);
        guard.check(file, allocated, end + total);
        end += total;
        lastCrc = crc;
        boolean extending = allocated - end < chunk() / 4 && end < maxSegmentBytes;
        synchronized (monitor) {
            durableLsn = batch.get(batch.size() - 1).frame().lastLsn();
            if (extending) {
                // the group's writers need not wait for the zeros; otherwise lead() wakes everyone once, after this
                monitor.notifyAll();
            }
        }
        if (extending) {
            extend(end + chunk());
        }
        if (buffer.length > (4 << 20)) {
            buffer = new byte[64 * 1024];
        }
    }

    private long chunk() {
        return Math.max(MIN_CHUNK, Math.min(MAX_CHUNK, end / 4));
    }

    /** Zero-fills the segment up to at least {@code needed}, after checking it was not cut meanwhile. */
    private void extend(long needed) throws IOException {
        guard.checkNotTruncated(file, allocated, end);
        long target = Math.max(needed, allocated + chunk());
        Segment.zeroFill(file, allocated, target);
        allocated = target;
    }

    /** Starts segment {@code segmentNumber + 1}, whose first record is {@code firstLsn}, and seals this one. */
    private void roll(long firstLsn) throws IOException {
        long next = segmentNumber + 1;
        SegmentHeader header = new SegmentHeader(SegmentHeader.Kind.LOG, storeId, generation, next, firstLsn,
                SALTS.nextInt(), 0, 0);
        Segment.create(files.segment(next), header, MIN_CHUNK);
        RandomAccessFile old = file;
        FileLock oldLock = segmentLock;
        long oldEnd = end;
        openSegment(next);
        end = SegmentHeader.SIZE;
        allocated = file.length();
        lastCrc = header.salt();
        listener.started(next);
        // Seal: cut the old segment to its data; a crash before the cut leaves zeros, which a scan reads as the end.
        try {
            old.setLength(oldEnd);
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
     * Writes everything queued, cuts the pre-allocated zeros off the active segment and closes it
     * (releasing its lock). Settles every pending write: each is durable or failed when this returns.
     */
    void close() {
        synchronized (monitor) {
            closing = true;
            started = true;
        }
        drive(Long.MAX_VALUE, true);
        synchronized (monitor) {
            if (failure == null && !queue.isEmpty()) {
                failure = new StorageException("The journal of " + files.index() + " was closed before the write");
            }
            queue.clear();
            monitor.notifyAll();
        }
        if (file != null) {
            try {
                if (failure() == null) {
                    file.setLength(end);
                    file.getFD().sync();
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
        closeQuietly(file);
        file = null;
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

    private static void closeQuietly(RandomAccessFile ch) {
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
