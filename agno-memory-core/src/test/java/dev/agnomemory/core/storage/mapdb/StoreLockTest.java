package dev.agnomemory.core.storage.mapdb;

import static dev.agnomemory.core.storage.mapdb.StoreFixtures.KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.storage.StorageException;
import dev.agnomemory.core.storage.StoreLockedException;
import dev.agnomemory.core.testing.ChildJvm;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One writing process per store, whatever happens to its side files; and a journal taken away from a running store
 * fails the writes instead of acknowledging them.
 */
class StoreLockTest {

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("memory.db");
    }

    @Test
    void deletingTheLockFileDoesNotLetASecondProcessIn() throws Exception {
        StoreFixtures.writeRuns(file(), 3);
        try (ChildJvm child = ChildJvm.start(StoreFaultsTest.HoldStore.class, dir.resolve("holder"),
                file().toString())) {
            assertThat(child.awaitLine(l -> l.equals("OPEN"), 30_000)).as("child opened the store\n%s",
                    child.describe()).isTrue();
            Files.delete(dir.resolve("memory.db.lock"));
            Map<String, byte[]> before = StoreFixtures.snapshot(dir);
            assertThatThrownBy(() -> MapDbStorage.open(file())).isInstanceOf(StoreLockedException.class)
                    .hasMessageContaining(file().toString()).hasMessageContaining("another process");
            before.keySet().removeIf(n -> n.startsWith("holder"));
            Map<String, byte[]> after = StoreFixtures.snapshot(dir);
            after.keySet().removeIf(n -> n.startsWith("holder"));
            assertThat(after.keySet()).isEqualTo(before.keySet());
            for (String n : before.keySet()) {
                assertThat(after.get(n)).as(n).isEqualTo(before.get(n));
            }
        }
        try (MapDbStorage s = MapDbStorage.open(file())) {
            StoreFixtures.assertRuns(s, 3);
        }
    }

    @Test
    void aJournalDeletedUnderARunningStoreFailsTheNextWriteBeforeItIsAcknowledged() throws Exception {
        try (MapDbStorage s = MapDbStorage.open(file())) {
            s.getOrCreateSession(KEY, null);
            StoreFixtures.writeRun(s, KEY, 0);
            Path segment = StoreFixtures.lastSegment(file());
            Files.delete(segment);
            assertThatThrownBy(() -> s.appendMessage(KEY, "r1", Message.user("lost?")))
                    .isInstanceOf(StorageException.class).hasMessageContaining(segment.toString())
                    .hasMessageContaining("deleted");
            assertThatThrownBy(() -> s.session(KEY)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("failed earlier");
        }
    }

    @Test
    void aJournalTruncatedUnderARunningStoreFailsTheNextWriteBeforeItIsAcknowledged() throws Exception {
        try (MapDbStorage s = MapDbStorage.open(file())) {
            s.getOrCreateSession(KEY, null);
            StoreFixtures.writeRun(s, KEY, 0);
            Path segment = StoreFixtures.lastSegment(file());
            try (RandomAccessFile raf = new RandomAccessFile(segment.toFile(), "rw")) {
                raf.setLength(200);
            }
            assertThatThrownBy(() -> s.appendMessage(KEY, "r1", Message.user("lost?")))
                    .isInstanceOf(StorageException.class).hasMessageContaining(segment.toString())
                    .hasMessageContaining("truncated");
            assertThatThrownBy(() -> s.appendMessage(KEY, "r1", Message.user("again")))
                    .isInstanceOf(StorageException.class).hasMessageContaining("failed earlier");
        }
    }

    /** The write that finds the segment cut is one that needs more space: the zeros it adds must not hide the cut. */
    @Test
    void aJournalTruncatedUnderARunningStoreIsNoticedWhenTheNextWriteGrowsTheSegment() throws Exception {
        try (MapDbStorage s = MapDbStorage.open(file())) {
            s.getOrCreateSession(KEY, null);
            StoreFixtures.writeRun(s, KEY, 0);
            Path segment = StoreFixtures.lastSegment(file());
            long allocated = Files.size(segment);
            try (RandomAccessFile raf = new RandomAccessFile(segment.toFile(), "rw")) {
                raf.setLength(200);
            }
            String large = "x".repeat((int) allocated + 1000);
            assertThatThrownBy(() -> s.appendMessage(KEY, "r1", Message.user(large)))
                    .isInstanceOf(StorageException.class).hasMessageContaining(segment.toString())
                    .hasMessageContaining("truncated");
        }
    }
}
