package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.storage.StorageException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checks after each flush that the journal segment being written is still there, whole. */
class SegmentGuardTest {

    private static final long ALLOCATED = 64 * 1024;

    @TempDir
    Path dir;

    private Path segment;
    private RandomAccessFile file;
    private final AtomicLong now = new AtomicLong();

    @BeforeEach
    void createSegment() throws Exception {
        segment = dir.resolve("store.db.journal-00000001");
        file = new RandomAccessFile(segment.toFile(), "rw");
        file.setLength(ALLOCATED);
    }

    private SegmentGuard guard() throws Exception {
        return new SegmentGuard(segment, now::get);
    }

    private long directoryTime() throws Exception {
        return Files.getLastModifiedTime(dir).toMillis();
    }

    /**
     * The directory last changed an hour ago, so "its time is unchanged" is trusted; the clock is the real one, as the
     * guard assumes (a fake clock far ahead of the file system's would let a change land on the old time).
     */
    private void directoryChangedLongAgo() throws Exception {
        now.set(System.currentTimeMillis());
        Files.setLastModifiedTime(dir, FileTime.fromMillis(now.get() - 3_600_000));
    }

    @Test
    void aSegmentDeletedLongAfterItsDirectoryLastChangedIsNoticedAtTheNextCheck() throws Exception {
        directoryChangedLongAgo();
        SegmentGuard guard = guard();
        guard.check(file, ALLOCATED, 100);
        guard.check(file, ALLOCATED, 200);
        Files.delete(segment);
        // the deletion changed the directory's time, whatever the clock says
        assertThatThrownBy(() -> guard.check(file, ALLOCATED, 300)).isInstanceOf(StorageException.class)
                .hasMessageContaining(segment.toString()).hasMessageContaining("deleted");
        file.close();
    }

    @Test
    void aSegmentReplacedByAnotherFileIsNoticed() throws Exception {
        directoryChangedLongAgo();
        SegmentGuard guard = guard();
        guard.check(file, ALLOCATED, 100);
        Path other = dir.resolve("other");
        Files.write(other, new byte[(int) ALLOCATED]);
        Files.move(other, segment, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        assertThatThrownBy(() -> guard.check(file, ALLOCATED, 200)).isInstanceOf(StorageException.class)
                .hasMessageContaining(segment.toString()).hasMessageContaining("replaced");
        file.close();
    }

    /**
     * A directory time within the same timestamp tick as the clock could hide a second change: then the segment is
     * looked up by path on every check. Here the deletion's change of the directory time is undone by hand.
     */
    @Test
    void aDirectoryChangedJustNowIsNotTrustedEvenIfItsTimeLooksUnchanged() throws Exception {
        long time = directoryTime();
        now.set(time + 10);
        SegmentGuard guard = guard();
        guard.check(file, ALLOCATED, 100);
        Files.delete(segment);
        Files.setLastModifiedTime(dir, FileTime.fromMillis(time));
        assertThatThrownBy(() -> guard.check(file, ALLOCATED, 200)).isInstanceOf(StorageException.class)
                .hasMessageContaining("deleted");
        file.close();
    }

    @Test
    void aSegmentCutBelowWhatWasAllocatedIsNoticedEvenAboveWhatWasWritten() throws Exception {
        directoryChangedLongAgo();
        SegmentGuard guard = guard();
        guard.check(file, ALLOCATED, 100);
        file.setLength(ALLOCATED / 2);
        assertThatThrownBy(() -> guard.check(file, ALLOCATED, 200)).isInstanceOf(StorageException.class)
                .hasMessageContaining(segment.toString()).hasMessageContaining("truncated to " + ALLOCATED / 2);
        assertThatThrownBy(() -> guard.checkNotTruncated(file, ALLOCATED, 200))
                .isInstanceOf(StorageException.class).hasMessageContaining("truncated");
        file.close();
    }

    @Test
    void anUntouchedSegmentPassesEveryCheck() throws Exception {
        directoryChangedLongAgo();
        SegmentGuard guard = guard();
        for (int i = 1; i <= 100; i++) {
            long written = i * 100L;
            assertThatCode(() -> guard.check(file, ALLOCATED, written)).doesNotThrowAnyException();
        }
        file.close();
    }
}
