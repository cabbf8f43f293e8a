package dev.agnomemory.core.storage.mapdb;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** For tests: the records of a closed (or crashed) store's journal, read without changing anything. */
final class JournalContents {

    /** One record and where it is. */
    record Entry(long segment, long lsn, JournalRecord record, Pointer where) {
    }

    private JournalContents() {
    }

    static List<Entry> read(Path storeFile) {
        StoreFiles files = StoreFiles.of(storeFile);
        List<Entry> out = new ArrayList<>();
        List<Long> numbers = files.segmentNumbers();
        for (int i = 0; i < numbers.size(); i++) {
            long n = numbers.get(i);
            Path p = files.segment(n);
            try (Segment s = Segment.open(p, n); RandomAccessFile raf = new RandomAccessFile(p.toFile(), "r")) {
                SegmentHeader h = s.header();
                new SegmentScanner(p, raf, h).scan(SegmentHeader.SIZE, h.isSnapshot() ? 1 : h.startLsn(), h.salt(),
                        i == numbers.size() - 1, -1, (lsn, record, where) -> out.add(new Entry(n, lsn, record, where)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /** The last marker of a checkpoint of the live index: "begin", "end", or "none". */
    static String lastCheckpointMarker(Path storeFile) {
        String last = "none";
        for (Entry e : read(storeFile)) {
            if (e.record() instanceof JournalRecord.CheckpointBegin b && !b.newIndex()) {
                last = "begin";
            } else if (e.record() instanceof JournalRecord.CheckpointEnd) {
                last = "end";
            }
        }
        return last;
    }
}
