package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.storage.StorageException;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The journal: the store's source of truth, a sequence of segment files (see {@link SegmentHeader}) holding
 * {@link Frame}s of {@link JournalRecord}s. Reads records the index points to; hands writes to its
 * {@link LogWriter} (none when the store is open read-only).
 */
final class Journal implements Closeable {

    private final StoreFiles files;
    private final StoreId storeId;
    private volatile long generation;
    private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
    private LogWriter writer;

    Journal(StoreFiles files, StoreId storeId, long generation, List<Segment> open) {
        this.files = files;
        this.storeId = storeId;
        this.generation = generation;
        for (Segment s : open) {
            segments.put(s.number(), s);
        }
    }

    void attach(LogWriter w) {
        this.writer = w;
    }

    /** Called by the log writer when it started a segment: open it for reading. */
    void segmentStarted(long number) {
        segments.put(number, Segment.open(files.segment(number), number));
    }

    StoreId storeId() {
        return storeId;
    }

    long generation() {
        return generation;
    }

    /** After a compaction: the journal now starts with a snapshot of the next generation. */
    void generationAdvanced(long newGeneration) {
        this.generation = newGeneration;
    }

    StoreFiles files() {
        return files;
    }

    /** The segments, by number. */
    NavigableMap<Long, Segment> segments() {
        return segments;
    }

    /**
     * Reads the record at {@code p}.
     *
     * @throws StorageException when the segment is gone or the bytes there fail their checksum
     */
    JournalRecord read(Pointer p) {
        Segment s = segments.get(p.segment());
        if (s == null) {
            throw new StorageException("The index of " + files.index() + " points to journal segment " + p.segment()
                    + ", which is not part of the journal");
        }
        return s.read(p);
    }

    /** The messages of {@code refs}, reading each journal record once. */
    List<Message> messages(List<MessageRef> refs) {
        List<Message> out = new ArrayList<>(refs.size());
        Pointer lastPointer = null;
        JournalRecord lastRecord = null;
        for (MessageRef ref : refs) {
            if (ref.message() != null) {
                out.add(ref.message());
                continue;
            }
            Pointer p = ref.record().pointer();
            if (!p.equals(lastPointer)) {
                lastRecord = read(p);
                lastPointer = p;
            }
            out.add(messageOf(lastRecord, ref.index(), p));
        }
        return out;
    }

    private Message messageOf(JournalRecord record, int index, Pointer p) {
        List<Message> messages;
        if (record instanceof JournalRecord.MessagesAppended m) {
            messages = m.messages();
        } else if (record instanceof JournalRecord.RunRestored r) {
            messages = r.messages();
        } else {
            throw new StorageException("The index of " + files.index() + " points to a " + record.getClass()
                    .getSimpleName() + " record at offset " + p.offset() + " of segment " + p.segment()
                    + " for a message");
        }
        if (index < 0 || index >= messages.size()) {
            throw new StorageException("The index of " + files.index() + " points to message " + index + " of a "
                    + "record with " + messages.size() + " at offset " + p.offset() + " of segment " + p.segment());
        }
        return messages.get(index);
    }

    /**
     * Queues a frame for the log writer.
     *
     * @param rollFirst start a new segment before it
     */
    void submit(Frame frame, boolean rollFirst) {
        writer.submit(frame, rollFirst);
    }

    void awaitDurable(long lsn) {
        writer.awaitDurable(lsn);
    }

    StorageException failure() {
        return writer == null ? null : writer.failure();
    }

    /** Takes the space of the next segment before a cut rolls to it; see {@link LogWriter#reserveNextSegment}. */
    void reserveNextSegment() {
        writer.reserveNextSegment();
    }

    /** The number of the segment frames are appended to now. */
    long activeSegment() {
        return writer.segmentNumber();
    }

    /**
     * Replaces the segments up to {@code snapshot}'s number with {@code snapshot} (compaction) and returns the
     * replaced ones, still open: the caller closes them once no reader can reach them. Closing a deleted segment frees
     * its blocks, which on a large store takes the file system long enough that it must not happen while readers
     * and writers wait.
     */
    List<Segment> replaceUpTo(Segment snapshot) {
        Map<Long, Segment> replaced = segments.headMap(snapshot.number(), true);
        List<Segment> old = new ArrayList<>(replaced.values());
        replaced.clear();
        segments.put(snapshot.number(), snapshot);
        return old;
    }

    /** Stops the writer (settling every pending write) and closes the segments. */
    @Override
    public void close() {
        if (writer != null) {
            writer.close();
        }
        segments.values().forEach(Segment::close);
    }
}
